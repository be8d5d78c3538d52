/** Number formats for chart axes and read-outs. */
import type { XAxisKind } from './types';

/** A scalar with about four significant digits, switching to exponent form for tiny or huge values. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/**
 * An axis tick: ticks are round numbers already, so up to six significant digits (1000.5 stays
 * apart from 1000), and tiny or huge ones in short exponent form (1e-4, 2.5e-5, 1e+6).
 */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return Number(v.toPrecision(3)).toExponential();
  return Number(v.toPrecision(6)).toString();
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
  // Whole steps in full, grouped (12,345): zoomed in, neighbouring ticks differ in the last digits.
  return x.toLocaleString('en-US');
}

/** The axis's name, as shown under the chart and in the read-out. */
export const X_AXIS_LABELS: Record<XAxisKind, string> = {
  step: 'Step',
  relative: 'Relative',
  epoch: 'Epoch',
};
