/** Axes for the inside views' small SVG charts: linear or log10 scales and their ticks. */
import { niceTicks } from '../charts/ticks';

/** Maps a value to a pixel, and back to where its ticks go. */
export interface Scale {
  (v: number): number;
  ticks: number[];
  /** The pixels it maps onto, [from, to]. */
  range: [number, number];
}

/**
 * A y or x scale from [lo, hi] onto [from, to] pixels. Linear: ticks at the multiples of a round
 * step (1, 2 or 5 times a power of ten) inside the range, at most five (the scalar charts' rule).
 * Log: the powers of ten inside the range (widened to whole decades), values <= 0 at its floor.
 */
export function makeScale(lo: number, hi: number, from: number, to: number, log = false): Scale {
  if (log) {
    const a = Math.floor(Math.log10(lo));
    const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
    const f = (v: number) => from + ((Math.log10(Math.max(v, 10 ** a)) - a) / (b - a)) * (to - from);
    return Object.assign(f, {
      range: [from, to] as [number, number],
      ticks: Array.from({ length: b - a + 1 }, (_, i) => Number(`1e${a + i}`)),
    });
  }
  const [l, h] = lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  const f = (v: number) => from + ((v - l) / (h - l)) * (to - from);
  return Object.assign(f, { range: [from, to] as [number, number], ticks: niceTicks(l, h, 5, false) });
}

/** The finite, and for a log scale positive, extremes of values ([1, 10] or [0, 1] when none). */
export function extent(values: readonly number[], log = false): [number, number] {
  const ok = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!ok.length) return log ? [1, 10] : [0, 1];
  // Folded, not spread into Math.min: a long run's series overflows the call stack.
  return [ok.reduce((a, b) => Math.min(a, b)), ok.reduce((a, b) => Math.max(a, b))];
}

/** A tick label: powers of ten as 1e-3, other values to three significant figures. */
export function tickLabel(v: number, log: boolean): string {
  if (log) return `1e${Math.round(Math.log10(v))}`;
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2)
    ? v.toExponential(1)
    : String(Number(v.toPrecision(3)));
}

/** Where a tick label at pixel `px` hangs: inwards within 16 px of an end of [from, to], so the edge never cuts it. */
export function tickAnchor(px: number, from: number, to: number): 'start' | 'middle' | 'end' {
  const [lo, hi] = from < to ? [from, to] : [to, from];
  return px - lo < 16 ? 'start' : hi - px < 16 ? 'end' : 'middle';
}
