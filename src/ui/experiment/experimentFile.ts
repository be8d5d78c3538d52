/**
 * An experiment as one file to send someone: `<name>.kiln-experiment.json.gz`, gzip-compressed
 * JSON holding the runs' records (as IndexedDB keeps them, notes and tags included), their scalars
 * (in the records), their final histograms, the view the author had (chart settings, run filter,
 * hyperparameter view), and, when asked, each run's checkpoint. Bytes (checkpoints, misclassified
 * images) are written as `{"$bytes": "<base64>"}`.
 *
 * Reading it is reading untrusted data: inflated with a cap, parsed, then every part read through
 * the schema library (each record through the run record's own reader and migrations), so a
 * corrupt, truncated or hostile file is refused with one line and changes nothing.
 */
import { DatasetError, gunzip, gzip, isGzip } from 'kiln/datasets';
import {
  array,
  boolean,
  count,
  instance,
  map,
  nullable,
  number,
  object,
  oneOf,
  optional,
  read,
  record,
  type Schema,
  SchemaError,
  string,
} from '../../schema';
import { fromBase64, toBase64 } from '../base64';
import type { XAxisKind } from '../charts/types';
import type { HistogramPoint } from '../inside/histogramMath';
import { readStoredRun, storedRun } from '../runs/storedRun';
import type { HparamsView } from '../store/hparamsSlice';
import type { RunHistograms } from '../store/insideSlice';
import type { RunRecord } from '../store/runsSlice';

/** The file name's ending: what "Open experiment" offers to open. */
export const EXPERIMENT_EXT = '.kiln-experiment.json.gz';

/** The layout version written; a file of a later version is refused (a newer Kiln wrote it). */
export const EXPERIMENT_VERSION = 1;

/** The most bytes an experiment file may inflate to. */
export const MAX_EXPERIMENT_BYTES = 512 * 1024 * 1024;

/** The most runs one experiment holds. */
export const MAX_EXPERIMENT_RUNS = 1000;

/** What the author saw: the charts' settings, the run filter and the hyperparameter view. */
export interface ExperimentView {
  smoothing: number;
  xAxis: XAxisKind;
  logScale: boolean;
  ignoreOutliers: boolean;
  runFilter: string;
  hparams: HparamsView;
}

/** An experiment, as written and as read back. */
export interface Experiment {
  name: string;
  /** Milliseconds since the Unix epoch. */
  exportedAt: number;
  view: ExperimentView;
  runs: RunRecord[];
  /** Each run's final histogram per tag, by run id. */
  histograms: Record<string, RunHistograms>;
  /** Each run's checkpoint, by run id, where the file carries weights. */
  checkpoints: Record<string, Uint8Array>;
}

/** A file that is not a readable experiment: `message` says why, in one line. */
export class ExperimentError extends Error {
  override name = 'ExperimentError';
}

/** Each run's last histogram per tag: what an experiment keeps of the histograms. */
export function finalHistograms(histograms: RunHistograms | undefined): RunHistograms {
  return Object.fromEntries(
    Object.entries(histograms ?? {})
      .filter(([, points]) => points.length > 0)
      .map(([tag, points]) => [tag, [points[points.length - 1]]]),
  );
}

/** JSON.stringify's replacer: bytes as {"$bytes": base64}, a histogram's counts as a list. */
function replacer(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: toBase64(v) };
  if (v instanceof Uint32Array) return Array.from(v);
  return v;
}

/** The experiment's file bytes (gzip of its JSON). */
export async function writeExperiment(e: Experiment): Promise<Uint8Array> {
  const doc = {
    format: 'kiln-experiment',
    version: EXPERIMENT_VERSION,
    name: e.name,
    exportedAt: e.exportedAt,
    view: e.view,
    runs: e.runs.map((run) => ({
      record: storedRun(run),
      histograms: e.histograms[run.id] ?? {},
      ...(e.checkpoints[run.id] ? { checkpoint: e.checkpoints[run.id] } : {}),
    })),
  };
  return gzip(new TextEncoder().encode(JSON.stringify(doc, replacer)));
}

const measured = number({ nonFinite: true });

const histogramPoint: Schema<HistogramPoint> = map(
  object({
    lo: measured,
    hi: measured,
    counts: array(count(), 100_000),
    nan: count(),
    posInf: count(),
    negInf: count(),
    min: measured,
    max: measured,
    sum: measured,
    sumSquares: measured,
    step: count(),
    wallTime: number(),
  }),
  (h) => ({ ...h, counts: Uint32Array.from(h.counts) }),
);

const brush = {
  read(v: unknown, path: Parameters<Schema<unknown>['read']>[1]) {
    const isCategories = typeof v === 'object' && v !== null && Object.hasOwn(v, 'values');
    return isCategories
      ? object({ key: string(200), values: array(string(1000), 10_000) }).read(v, path)
      : object({ key: string(200), lo: number(), hi: number() }).read(v, path);
  },
};

const view: Schema<ExperimentView> = object({
  smoothing: number({ min: 0, max: 0.999 }),
  xAxis: oneOf(['step', 'relative', 'epoch']),
  logScale: boolean(),
  ignoreOutliers: boolean(),
  runFilter: string(1000),
  hparams: object({
    metric: string(100),
    brushes: array(brush, 200),
    groupBy: nullable(string(200)),
    columns: array(string(200), 200),
    groupCharts: boolean(),
  }),
});

/** Any value, handed on to a reader of its own (a run record, read by readStoredRun). */
const passed: Schema<unknown> = { read: (v) => v };

const file = object({
  format: oneOf(['kiln-experiment'], 'a Kiln experiment'),
  version: number({ integer: true }),
  name: string(200),
  exportedAt: number(),
  view,
  runs: array(
    object({
      record: passed,
      histograms: record(array(histogramPoint, 1), 10_000, string(1000)),
      checkpoint: optional(instance(Uint8Array, 'checkpoint bytes')),
    }),
    MAX_EXPERIMENT_RUNS,
  ),
});

/** JSON.parse's reviver: {"$bytes": base64} back to bytes (anything else as it is). */
function reviver(_key: string, v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  const text = (v as { $bytes?: unknown }).$bytes;
  if (keys.length !== 1 || typeof text !== 'string') return v;
  try {
    return fromBase64(text);
  } catch {
    throw new ExperimentError('its bytes are damaged (not base64)');
  }
}

/**
 * The experiment in a file's bytes; throws an ExperimentError saying, in one line, why a file is
 * not one (not gzip, truncated, damaged JSON, a newer version, a field that is wrong and where).
 */
export async function readExperiment(bytes: Uint8Array, fileName: string): Promise<Experiment> {
  if (!isGzip(bytes)) throw new ExperimentError(`${fileName} is not a Kiln experiment (not gzip-compressed)`);
  let text: string;
  try {
    const json = await gunzip(bytes, fileName, undefined, MAX_EXPERIMENT_BYTES);
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch (e) {
    if (e instanceof TypeError) throw new ExperimentError(`${fileName} is not UTF-8 text`);
    // The gzip reader's "<file>: <problem>", as a sentence: "<file> is truncated: ...".
    throw new ExperimentError(
      e instanceof DatasetError ? `${fileName} ${e.message.slice(e.file.length + 2)}` : String(e),
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text, reviver);
  } catch (e) {
    if (e instanceof ExperimentError) throw new ExperimentError(`${fileName}: ${e.message}`);
    throw new ExperimentError(`${fileName} is damaged: its JSON does not parse (${(e as Error).message})`);
  }
  try {
    const doc = read(file, raw);
    if (doc.version !== EXPERIMENT_VERSION)
      throw new SchemaError(
        'version',
        `is ${doc.version}; this Kiln reads version ${EXPERIMENT_VERSION} (a newer Kiln wrote it?)`,
      );
    const runs = doc.runs.map((r, i) => {
      try {
        return readStoredRun(r.record);
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
        throw new SchemaError(`runs[${i}].record${e.path ? `.${e.path}` : ''}`, e.problem);
      }
    });
    const ids = new Set(runs.map((r) => r.id));
    if (ids.size !== runs.length) throw new SchemaError('runs', 'holds two runs with the same id');
    return {
      name: doc.name,
      exportedAt: doc.exportedAt,
      view: doc.view as ExperimentView,
      runs,
      histograms: Object.fromEntries(
        doc.runs.flatMap((r, i) => (Object.keys(r.histograms).length ? [[runs[i].id, r.histograms]] : [])),
      ),
      checkpoints: Object.fromEntries(
        doc.runs.flatMap((r, i) => (r.checkpoint ? [[runs[i].id, r.checkpoint]] : [])),
      ),
    };
  } catch (e) {
    if (e instanceof SchemaError)
      throw new ExperimentError(`${fileName} is not a readable experiment: ${e.message}`);
    throw e;
  }
}
