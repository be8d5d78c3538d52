/**
 * What the page keeps of a run's histograms across visits: the last ones per tag (as insideSlice
 * holds them, MAX_KEPT per tag), stored in IndexedDB beside the run's record, within one budget
 * for all runs. Beyond it the oldest runs' histograms are dropped, and marked so, so that the
 * panel can say they were not kept rather than show nothing. What is read back is untrusted (an
 * older version, a crash mid-write, an extension) and goes through the schema.
 */
import {
  array,
  count,
  instance,
  number,
  object,
  oneOf,
  optional,
  read,
  record,
  type Schema,
  string,
} from '../../schema';
import type { RunHistograms } from '../store/insideSlice';
import { type HistogramPoint, MAX_KEPT } from './histogramMath';

/** The bytes all runs' stored histograms may take together: 16 MiB (about 60 SimpleNN runs: 8 tags of 100 points of 64 bins). */
export const HISTOGRAM_BUDGET_BYTES = 16 * 1024 * 1024;

/** The budget as the page and the README say it. */
export const HISTOGRAM_BUDGET_TEXT = '16 MB';

/** Why a run's histograms are not in storage: dropped for newer runs', or over the budget alone. */
export type NotKept = 'evicted' | 'too-large';

/** A run's entry in the budget's ledger: its histograms' size and age, or why they are not kept. */
export interface LedgerEntry {
  /** The run's creation time: the oldest runs' histograms go first. */
  createdAt: number;
  /** Bytes of its stored histograms (0 when not kept). */
  bytes: number;
  notKept?: NotKept;
}

/** Fields of a stored point past its bins: ten numbers. */
const POINT_OVERHEAD = 10 * 8;

/** The bytes a run's histograms take in storage (its bins, and a fixed share per point and tag). */
export function histogramBytes(histograms: RunHistograms): number {
  let bytes = 0;
  for (const [tag, points] of Object.entries(histograms))
    bytes += tag.length * 2 + points.reduce((n, p) => n + p.counts.byteLength + POINT_OVERHEAD, 0);
  return bytes;
}

/**
 * The ledger after `id`'s histograms (`bytes` of them) are stored: the oldest other runs' are
 * dropped (marked 'evicted') until all fit in `budget`; a run over the budget on its own is not
 * stored at all (marked 'too-large'). Returns the new ledger and the runs whose stored
 * histograms are to be deleted (`id` among them when it does not fit).
 */
export function admit(
  ledger: Readonly<Record<string, LedgerEntry>>,
  id: string,
  entry: { createdAt: number; bytes: number },
  budget = HISTOGRAM_BUDGET_BYTES,
): { ledger: Record<string, LedgerEntry>; drop: string[] } {
  const next: Record<string, LedgerEntry> = { ...ledger };
  if (entry.bytes > budget) {
    next[id] = { createdAt: entry.createdAt, bytes: 0, notKept: 'too-large' };
    return { ledger: next, drop: ledger[id]?.bytes ? [id] : [] };
  }
  next[id] = { createdAt: entry.createdAt, bytes: entry.bytes };
  let total = Object.values(next).reduce((n, e) => n + e.bytes, 0);
  const drop: string[] = [];
  const oldestFirst = Object.entries(next)
    .filter(([other, e]) => other !== id && e.bytes > 0)
    .sort(([, a], [, b]) => a.createdAt - b.createdAt);
  for (const [other, e] of oldestFirst) {
    if (total <= budget) break;
    total -= e.bytes;
    next[other] = { createdAt: e.createdAt, bytes: 0, notKept: 'evicted' };
    drop.push(other);
  }
  return { ledger: next, drop };
}

// Values measured on the GPU may be NaN or infinite (a diverged run's weights): kept as they were.
const measured = number({ nonFinite: true });

const point: Schema<HistogramPoint> = object({
  step: count(),
  wallTime: number(),
  lo: measured,
  hi: measured,
  counts: instance(Uint32Array, 'bin counts (a Uint32Array)'),
  nan: count(),
  posInf: count(),
  negInf: count(),
  min: measured,
  max: measured,
  sum: measured,
  sumSquares: measured,
});

/** A stored run's histograms: tag -> points, as insideSlice holds them. */
export const storedHistograms: Schema<RunHistograms> = record(array(point, MAX_KEPT), 100_000, string(1000));

/** A stored ledger entry. */
export const ledgerEntry: Schema<LedgerEntry> = object({
  createdAt: number(),
  bytes: count(),
  notKept: optional(oneOf(['evicted', 'too-large'] as const)),
});

/** Reads stored histograms; throws a SchemaError naming what is wrong. */
export function readStoredHistograms(raw: unknown): RunHistograms {
  return read(storedHistograms, raw);
}
