/** Number formats for chart axes and read-outs. */
import type { XAxisKind } from './types';

/** A scalar with about four significant digits, switching to exponent form for tiny or huge values. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** Seconds as TensorBoard's relative time reads: 42s, 3m 05s, 1h 12m. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** An x-axis tick or read-out for the chosen axis. */
export function formatX(x: number, kind: XAxisKind): string {
  if (kind === 'relative') return formatDuration(x);
  if (kind === 'epoch') return Number(x.toFixed(2)).toString();
  return x >= 10_000 ? `${Number((x / 1000).toPrecision(3))}k` : String(x);
}

/** The axis's name, as shown under the chart and in the read-out. */
export const X_AXIS_LABELS: Record<XAxisKind, string> = {
  step: 'Step',
  relative: 'Relative',
  epoch: 'Epoch',
};
