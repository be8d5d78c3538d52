/** Number, duration and settings formats shared by the panels. */
import type { TrainConfig } from '../worker/protocol';

/** A byte count in KB/MB/GB with one decimal (decimal units, as browsers report storage). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** A class as the page names it: its name where the dataset has names (`setosa`), else its index. */
export function classLabel(index: number, names?: readonly string[]): string {
  return names?.[index] ?? String(index);
}

/** A percentage with two decimals, e.g. 0.97123 -> "97.12%". */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** A duration in seconds as "1h 02m", "3m 05s" or "12s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** A count with thousands separators, e.g. 60000 -> "60,000". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A run's settings in one line: optimizer and its parameters, batch, schedule, clipping, limit. */
export function configSummary(c: TrainConfig): string {
  const parts = [
    `${c.optimizer} lr ${c.lr}`,
    c.weightDecay ? `weight decay ${c.weightDecay}` : '',
    c.momentum ? `momentum ${c.momentum}${c.nesterov ? ' (Nesterov)' : ''}` : '',
    `batch ${c.batchSize}`,
    c.scheduler.name === 'none' ? '' : `${c.scheduler.name} schedule`,
    c.clipNorm !== null ? `clip norm ${c.clipNorm}` : '',
    c.clipValue !== null ? `clip value ${c.clipValue}` : '',
    c.limit !== null ? `${count(c.limit)} samples` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}
