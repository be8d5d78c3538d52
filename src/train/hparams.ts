/**
 * TensorBoard's HParams plugin data, written by the event-file writer of tensorboard.ts: what
 * torch.utils.tensorboard's add_hparams and TensorBoard's own `hparams` API write. A logdir that
 * TensorBoard's HParams tab reads holds an experiment summary (every hyperparameter with its type
 * and domain, every metric by its scalar tag) at its root, and in each run's folder a
 * session_start_info (the run's hyperparameters) and a session_end_info (its status) beside the
 * run's scalars. Each is a Summary.Value tagged `_hparams_/...` whose metadata names the plugin
 * "hparams" and holds an HParamsPluginData message (tensorboard/plugins/hparams/plugin_data.proto,
 * api.proto), encoded here by hand as the rest of the event file is.
 */
import { eventFileName, ProtoWriter, SummaryWriter } from './tensorboard';

/** A hyperparameter's value: google.protobuf.Value's number, string or bool. */
export type HParamValue = number | string | boolean;

/** How a run ended, as the HParams tab shows it (api.proto's Status). */
export type SessionStatus = 'unknown' | 'success' | 'failure' | 'running';

const STATUS: Record<SessionStatus, number> = { unknown: 0, success: 1, failure: 2, running: 3 };

/** The tags TensorBoard's hparams plugin looks for (its metadata.py). */
export const HPARAMS_TAGS = {
  experiment: '_hparams_/experiment',
  sessionStart: '_hparams_/session_start_info',
  sessionEnd: '_hparams_/session_end_info',
} as const;

/** HParamsPluginData's fields: version 1, then the oneof of what it holds. */
const PLUGIN_DATA = { version: 1, experiment: 2, sessionStart: 3, sessionEnd: 4 } as const;

/** api.proto's DataType. */
const DATA_TYPE = { string: 1, boolean: 2, number: 3 } as const;

/** A random sweep's numbers take an interval past this many distinct values, a grid's a list. */
const MAX_DISCRETE = 16;

/** A google.protobuf.Value holding a number, a string or a bool. */
function protoValue(v: HParamValue): Uint8Array {
  const w = new ProtoWriter();
  if (typeof v === 'number') w.double(2, v);
  else if (typeof v === 'string') w.string(3, v);
  else w.int64(4, v ? 1 : 0);
  return w.finish();
}

/** HParamsPluginData at version 0 (proto3 leaves the zero out) holding one message in `field`. */
function pluginData(field: number, message: Uint8Array): Uint8Array {
  return new ProtoWriter().bytesField(field, message).finish();
}

/** One hyperparameter as the experiment declares it (api.proto's HParamInfo). */
export interface HParamInfo {
  name: string;
  type: 'number' | 'string' | 'boolean';
  /** The values it takes, or for numbers an interval. */
  domain: { values: HParamValue[] } | { min: number; max: number };
}

/**
 * The hyperparameters of a set of runs, each with its type and the domain its values span: a
 * list of the values (sorted), or an interval for numbers with many values (random draws).
 * Refused: a hyperparameter whose runs give it values of different types.
 */
export function hparamInfos(runs: Record<string, HParamValue>[]): HParamInfo[] {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return names.map((name) => {
    const values = [...new Set(runs.flatMap((r) => (name in r ? [r[name]] : [])))];
    const type = typeof values[0] as HParamInfo['type'];
    if (values.some((v) => typeof v !== type))
      throw new Error(`hyperparameter ${name} mixes values of different types: ${values.join(', ')}`);
    if (type === 'number') {
      const nums = (values as number[]).sort((a, b) => a - b);
      return {
        name,
        type,
        domain: nums.length > MAX_DISCRETE ? { min: nums[0], max: nums[nums.length - 1] } : { values: nums },
      };
    }
    return { name, type, domain: { values: values.sort() } };
  });
}

/**
 * Writes the experiment summary (api.proto's Experiment): its hyperparameters and its metrics,
 * each metric a scalar tag of the runs ('Accuracy/val'), read by the HParams tab from each run's
 * own folder (an empty MetricName.group). A tag ending in /train or /val is marked as the
 * training or validation set's.
 */
export function writeExperiment(
  writer: SummaryWriter,
  hparams: HParamInfo[],
  metrics: string[],
  wallTime?: number,
): void {
  const experiment = new ProtoWriter();
  if (wallTime !== undefined) experiment.double(3, wallTime);
  for (const h of hparams) {
    const info = new ProtoWriter().string(1, h.name).int64(4, DATA_TYPE[h.type]);
    if ('values' in h.domain) {
      const list = new ProtoWriter();
      for (const v of h.domain.values) list.bytesField(1, protoValue(v));
      info.bytesField(5, list.finish());
    } else {
      info.bytesField(6, new ProtoWriter().double(1, h.domain.min).double(2, h.domain.max).finish());
    }
    experiment.bytesField(4, info.finish());
  }
  for (const tag of metrics) {
    const info = new ProtoWriter().bytesField(1, new ProtoWriter().string(2, tag).finish());
    const dataset = /\/train$/.test(tag) ? 1 : /\/val$/.test(tag) ? 2 : 0;
    if (dataset) info.int64(5, dataset);
    experiment.bytesField(5, info.finish());
  }
  writer.addPluginSummary(
    HPARAMS_TAGS.experiment,
    'hparams',
    pluginData(PLUGIN_DATA.experiment, experiment.finish()),
    0,
    wallTime,
  );
}

/** Writes a run's session_start_info: its hyperparameters' values (a map<string, Value>) and start time. */
export function writeSessionStart(
  writer: SummaryWriter,
  hparams: Record<string, HParamValue>,
  startTime = Date.now() / 1000,
): void {
  const info = new ProtoWriter();
  for (const [name, v] of Object.entries(hparams)) {
    info.bytesField(1, new ProtoWriter().string(1, name).bytesField(2, protoValue(v)).finish());
  }
  info.double(5, startTime);
  writer.addPluginSummary(
    HPARAMS_TAGS.sessionStart,
    'hparams',
    pluginData(PLUGIN_DATA.sessionStart, info.finish()),
    0,
    startTime,
  );
}

/** Writes a run's session_end_info: how it ended, and when. */
export function writeSessionEnd(
  writer: SummaryWriter,
  status: SessionStatus,
  endTime = Date.now() / 1000,
): void {
  const info = new ProtoWriter();
  if (STATUS[status] !== 0) info.int64(1, STATUS[status]);
  info.double(2, endTime);
  writer.addPluginSummary(
    HPARAMS_TAGS.sessionEnd,
    'hparams',
    pluginData(PLUGIN_DATA.sessionEnd, info.finish()),
    0,
    endTime,
  );
}

/** One run to write as a TensorBoard folder. */
export interface HParamsRun {
  name: string;
  hparams: Record<string, HParamValue>;
  /** Its scalars by tag ('Loss/train', 'Accuracy/val'), each at a global step; wallTime in ms. */
  scalars: { tag: string; step: number; value: number; wallTime?: number }[];
  status: SessionStatus;
  /** When it started and ended, in ms since the epoch (the first and last scalar's time by default). */
  startTime?: number;
  endTime?: number;
}

/** A file of a logdir: its path inside the logdir ('/'-separated) and its bytes. */
export interface LogdirFile {
  path: string;
  bytes: Uint8Array;
}

/**
 * A run's name as a folder: characters other than letters, digits, space and `=,.+_-` become
 * `_`, and a name taken already gets -2, -3... (a folder per run, never two runs in one).
 */
export function folderNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    let base = n.replace(/[^A-Za-z0-9 =,.+_-]/g, '_').trim() || 'run';
    if (/^\.+$/.test(base)) base = base.replace(/\./g, '_');
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    used.add(name.toLowerCase());
    return name;
  });
}

/**
 * A set of runs as a TensorBoard logdir with HParams: at its root an event file holding the
 * experiment summary (the runs' hyperparameters and, as metrics, every scalar tag they logged, or
 * `metrics` where given), and one folder per run (named by folderNames) whose event file holds its
 * session_start_info, its scalars and its session_end_info. `tensorboard --logdir DIR` then shows
 * the sweep in its HParams tab. Pure: the caller writes the files (to disk, or into an archive).
 */
export function tensorboardLogdir(
  runs: HParamsRun[],
  options: { metrics?: string[]; hostname?: string } = {},
): LogdirFile[] {
  const host = options.hostname ?? 'kiln';
  const metrics = options.metrics ?? [...new Set(runs.flatMap((r) => r.scalars.map((s) => s.tag)))].sort();
  const times = runs.flatMap((r) => r.scalars.map((s) => s.wallTime ?? Date.now()));
  const created = (times.length ? Math.min(...times) : Date.now()) / 1000;
  const root = new SummaryWriter(created);
  writeExperiment(root, hparamInfos(runs.map((r) => r.hparams)), metrics, created);
  const files: LogdirFile[] = [{ path: eventFileName(host, created), bytes: root.flush() }];
  const folders = folderNames(runs.map((r) => r.name));
  runs.forEach((run, i) => {
    const ms = run.scalars.map((s) => s.wallTime ?? created * 1000);
    const start = (run.startTime ?? (ms.length ? Math.min(...ms) : created * 1000)) / 1000;
    const end = (run.endTime ?? (ms.length ? Math.max(...ms) : created * 1000)) / 1000;
    const writer = new SummaryWriter(start);
    writeSessionStart(writer, run.hparams, start);
    for (const s of run.scalars)
      writer.addScalar(s.tag, s.value, s.step, (s.wallTime ?? start * 1000) / 1000);
    writeSessionEnd(writer, run.status, end);
    files.push({ path: `${folders[i]}/${eventFileName(host, start)}`, bytes: writer.flush() });
  });
  return files;
}
