/**
 * Scalar export as CSV in the layout of TensorBoard's own "Download CSV" (the scalars plugin):
 * one file per tag, header `Wall time,Step,Value`, rows written by Python's csv module, so CRLF
 * line ends and floats spelled as Python's repr spells them.
 */

/** One logged scalar of a tag: wall time in Unix seconds, global step, value. */
export interface ScalarPoint {
  wallTime: number;
  step: number;
  value: number;
}

/** A float as Python's repr writes it: shortest round-trip digits, `1.0`, `1e-07`, `nan`, `inf`. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  // toExponential() with no argument gives the shortest digits that round-trip, as repr does.
  const [mantissa, exp] = x.toExponential().split('e');
  const e = Number(exp);
  // Python switches to scientific notation outside [1e-4, 1e16), JavaScript outside [1e-6, 1e21).
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const fixed = Object.is(x, -0) ? '-0' : String(x);
  return Number.isInteger(x) ? `${fixed}.0` : fixed;
}

/** One tag's scalars as TensorBoard's CSV download writes them, in the order given. */
export function scalarsToCsv(points: readonly ScalarPoint[]): string {
  const rows = points.map((p) => `${pythonFloat(p.wallTime)},${p.step},${pythonFloat(p.value)}`);
  return ['Wall time,Step,Value', ...rows].map((row) => `${row}\r\n`).join('');
}
