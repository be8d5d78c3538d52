/**
 * Full checkpoints, the guide's dictionary (epoch, model, optimizer, scheduler, loss) plus what an
 * exact resume needs (global step, the global generator, the data order position, the config and
 * the model spec), as ONE self-describing .safetensors file:
 *
 *   model.<key>                    the model's state dict, PyTorch's keys (F32, I64 counters)
 *   optimizer.state.<i>.<name>     optimizer state tensors (exp_avg, momentum_buffer...), F32
 *   __metadata__["kiln.checkpoint"]  JSON: CheckpointMeta
 *
 * This module is the format alone: a Run (train/run.ts) writes itself out with encodeCheckpoint and
 * is rebuilt from parseCheckpoint's result. Parsing checks the metadata, with bounds, before any
 * tensor is made, so a damaged or edited file is refused before a byte is allocated for it.
 */

import type { LoaderPosition } from '../data/dataloader';
import type { HostTensor } from '../nn';
import { countStateValues, type ModelSpec } from '../nn/spec';
import { modelSpec } from '../nn/spec_read';
import type { OptimizerStateDict } from '../optim/optimizer';
import {
  array,
  count,
  json,
  map,
  nullable,
  number,
  object,
  optional,
  read,
  record,
  type Schema,
  SchemaError,
  string,
} from '../schema';
import type { GeneratorState } from '../tensor/random';
import type { TrainConfig } from './config';
import { trainConfig } from './config_read';
import { decodeSafetensors, FORMAT_VERSION, type SafetensorsTensor } from './safetensors';
import { safetensorsToStateDict, stateDictToSafetensors } from './state_dict';

/** The metadata key holding the checkpoint's JSON. */
export const CHECKPOINT_KEY = 'kiln.checkpoint';

const MODEL_PREFIX = 'model.';
const OPTIM_PREFIX = 'optimizer.state.';

/** A file that is not a usable checkpoint for this run; nothing was changed. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** The JSON part of a checkpoint. */
export interface CheckpointMeta {
  /** The Kiln layout version (also stamped as the safetensors file's kiln.format_version). */
  version: number;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken in all. */
  globalStep: number;
  /** The last training loss, or null when none was measured (or it was not finite). */
  loss: number | null;
  /** torch.optim's param_groups, with camelCase hyperparameter names. */
  paramGroups: OptimizerStateDict['param_groups'];
  /** Per-parameter step counts by parameter index (parameters without state are absent). */
  optimizerSteps: Record<string, number>;
  /** The scheduler's state dict, or null without a scheduler. */
  scheduler: unknown;
  /** The global generator (dropout masks) and the loader's shuffling position. */
  generator: GeneratorState;
  loader: LoaderPosition;
  /** Training-set size: a resume on other data would not be the same run. */
  trainSamples: number;
  /** The dataset's name and a fingerprint of its training samples (absent in older files). */
  dataset?: { name: string; fingerprint: string };
  config: TrainConfig;
  spec: ModelSpec;
  /** The run's logged scalars up to this point, so its charts go on where they stopped. */
  history?: Scalar[];
  /** A text run's character vocabulary in id order (id i is [...vocab][i], a code point); absent for images and tables. */
  vocab?: string;
}

/** One logged value, as TensorBoard's add_scalar records it. */
export interface Scalar {
  /** TensorBoard's tag: 'Loss/train', 'learning_rate', 'Loss/val', 'Accuracy/val'. */
  tag: string;
  value: number;
  step: number;
  /** Milliseconds since the Unix epoch when the value was computed. */
  wallTime: number;
}

/** A parsed, validated checkpoint. */
export interface Checkpoint {
  meta: CheckpointMeta;
  model: Map<string, HostTensor>;
  optimizer: OptimizerStateDict;
}

/**
 * Checkpoint bytes from a run's parts: its model's state dict, its optimizer's, and the metadata
 * (whose paramGroups and optimizerSteps encodeCheckpoint fills from the optimizer's state dict).
 */
export function encodeCheckpoint(
  model: Map<string, HostTensor>,
  optimizer: OptimizerStateDict,
  meta: Omit<CheckpointMeta, 'version' | 'paramGroups' | 'optimizerSteps'>,
): Uint8Array {
  const tensors = new Map<string, HostTensor>();
  for (const [k, t] of model) tensors.set(MODEL_PREFIX + k, t);
  const optimizerSteps: Record<string, number> = {};
  for (const [i, entry] of Object.entries(optimizer.state)) {
    optimizerSteps[i] = entry.step;
    for (const [name, v] of Object.entries(entry)) {
      if (typeof v === 'object') {
        tensors.set(`${OPTIM_PREFIX}${i}.${name}`, { shape: v.shape, dtype: 'float32', data: v.data });
      }
    }
  }
  const full: CheckpointMeta = {
    version: FORMAT_VERSION,
    ...meta,
    loss: meta.loss !== null && Number.isFinite(meta.loss) ? meta.loss : null,
    paramGroups: optimizer.param_groups,
    optimizerSteps,
  };
  const json = JSON.stringify({ ...full, history: meta.history && writtenHistory(meta.history) });
  return stateDictToSafetensors(tensors, { [CHECKPOINT_KEY]: json });
}

/**
 * The words a history's values JSON cannot hold are written as: JSON has no NaN or infinities
 * (JSON.stringify would write null), and a run that exploded or died logs exactly those; -0
 * (a loss of -0 from a label-smoothed rounding, a gradient norm) would come back as 0.
 */
const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  '-0': -0,
};

/**
 * A history as the checkpoint's JSON holds it: one list per field, tags as indices into `tags`,
 * non-finite values by name. A list of objects repeated every key and tag, so a million points
 * passed the safetensors header's 100 MB limit; in columns they take about half.
 */
interface WrittenHistory {
  tags: string[];
  tag: number[];
  step: number[];
  value: (number | string)[];
  wallTime: number[];
}

function writtenHistory(history: readonly Scalar[]): WrittenHistory {
  const index = new Map<string, number>();
  const out: WrittenHistory = { tags: [], tag: [], step: [], value: [], wallTime: [] };
  for (const s of history) {
    let i = index.get(s.tag);
    if (i === undefined) {
      i = out.tags.push(s.tag) - 1;
      index.set(s.tag, i);
    }
    out.tag.push(i);
    out.step.push(s.step);
    out.value.push(
      Number.isFinite(s.value) && !Object.is(s.value, -0)
        ? s.value
        : Object.is(s.value, -0)
          ? '-0'
          : String(s.value),
    );
    out.wallTime.push(s.wallTime);
  }
  return out;
}

/** Most characters a vocabulary may hold (every code point a text can have is far fewer in practice). */
const MAX_VOCAB = 100_000;

/** Most scalars a checkpoint's history may hold (a long run logs a few hundred thousand). */
export const MAX_HISTORY = 2_000_000;

const generatorState = object({
  state: string(20, { pattern: /^\d+$/, what: 'a 64-bit state in decimal' }),
  spare: nullable(number()),
});

/** A history value: a finite number, or the name writtenHistory gives a non-finite one. */
const historyValue: Schema<number> = map(json(9), (v, refuse) => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v];
  return refuse('must be a number, NaN, Infinity, -Infinity or -0');
});

/** Earlier versions' history: a list of scalar objects. */
const scalarList = array(
  object({ tag: string(200), value: historyValue, step: count(), wallTime: number() }),
  MAX_HISTORY,
);

/** writtenHistory's columns, back into scalars. */
const historyColumns: Schema<Scalar[]> = map(
  object({
    tags: array(string(200), 10_000),
    tag: array(count(), MAX_HISTORY),
    step: array(count(), MAX_HISTORY),
    value: array(historyValue, MAX_HISTORY),
    wallTime: array(number(), MAX_HISTORY),
  }),
  ({ tags, tag, step, value, wallTime }, refuse) => {
    const n = tag.length;
    if (step.length !== n || value.length !== n || wallTime.length !== n)
      refuse(
        `has columns of ${[n, step.length, value.length, wallTime.length]} values: they must be of one length`,
      );
    // A loop, not a spread or a copy per point: a history may hold millions.
    const out = new Array<Scalar>(n);
    for (let i = 0; i < n; i++) {
      if (tag[i] >= tags.length) refuse(`point ${i} names tag ${tag[i]} of ${tags.length}`);
      out[i] = { tag: tags[tag[i]], value: value[i], step: step[i], wallTime: wallTime[i] };
    }
    return out;
  },
);

/** A checkpoint's history in either form. */
const history: Schema<Scalar[]> = {
  read: (v, path) => (Array.isArray(v) ? scalarList.read(v, path) : historyColumns.read(v, path)),
};

const paramGroup = map(record(json(100_000), 64), (group, refuse) => {
  const { params } = group;
  if (!Array.isArray(params) || !params.every((i) => Number.isSafeInteger(i) && (i as number) >= 0))
    refuse('params must be a list of parameter indices');
  return group as OptimizerStateDict['param_groups'][number];
});

/** The checkpoint's JSON, field by field, so a damaged file fails here and not halfway through a restore. */
const checkpointMeta: Schema<CheckpointMeta> = map(
  object({
    version: count(),
    epoch: count(),
    globalStep: count(),
    loss: nullable(number()),
    paramGroups: array(paramGroup, 64),
    optimizerSteps: record(count(), 100_000, string(10, { pattern: /^\d+$/, what: 'a parameter index' })),
    scheduler: nullable(json()),
    generator: generatorState,
    loader: object({ generator: generatorState, batch: count() }),
    trainSamples: count(),
    dataset: optional(object({ name: string(200), fingerprint: string(200) })),
    config: trainConfig,
    spec: modelSpec,
    history: optional(history),
    vocab: optional(string(MAX_VOCAB)),
  }),
  (meta, refuse) => {
    const { steps, epochs } = meta.config;
    // A run in steps counts evaluation intervals as its epochs: its steps bound it instead.
    if (steps === null && meta.epoch > epochs)
      refuse(`epoch ${meta.epoch} is past the run's ${epochs} epochs`);
    if (steps !== null && meta.globalStep > steps)
      refuse(`step ${meta.globalStep} is past the run's ${steps} steps`);
    return meta;
  },
);

/** Reads the JSON into CheckpointMeta, or refuses it in one line naming the field. */
function checkMeta(m: unknown): CheckpointMeta {
  // The version first: a newer file may have fields this Kiln does not know.
  const version =
    typeof m === 'object' && m !== null && Object.hasOwn(m, 'version')
      ? (m as { version: unknown }).version
      : 0;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw new CheckpointError(
      `checkpoint format version ${version} is newer than this Kiln supports (${FORMAT_VERSION}); update Kiln to load it`,
    );
  }
  try {
    return read(checkpointMeta, m);
  } catch (e) {
    if (e instanceof SchemaError) throw new CheckpointError(`checkpoint metadata: ${e.message}`);
    throw e;
  }
}

/** The JSON part of a checkpoint, checked; bytes that are not a full checkpoint throw. */
function readMeta(file: ReturnType<typeof decodeSafetensors>): CheckpointMeta {
  const json = file.metadata[CHECKPOINT_KEY];
  if (json === undefined) {
    throw new CheckpointError(
      'this file is a state dict, not a full checkpoint (it has no kiln.checkpoint metadata)',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new CheckpointError('the checkpoint metadata is damaged (not valid JSON)');
  }
  const meta = checkMeta(raw);
  // A spec must describe exactly the tensors the file carries, so an edited spec cannot make a
  // model far larger than the file be allocated.
  const carried = Object.entries(file.tensors)
    .filter(([k]) => k.startsWith(MODEL_PREFIX))
    .reduce((n, [, t]) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const described = countStateValues(meta.spec);
  if (described !== carried) {
    throw new CheckpointError(
      `checkpoint metadata: the model spec describes ${described} values, the file holds ${carried}`,
    );
  }
  return meta;
}

/** Parses and validates checkpoint bytes (corrupt, truncated or newer files throw). */
export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  const file = decodeSafetensors(bytes);
  const meta = readMeta(file);
  const model = new Map<string, HostTensor>();
  const state: OptimizerStateDict['state'] = {};
  for (const [i, step] of Object.entries(meta.optimizerSteps)) state[Number(i)] = { step };
  for (const [key, t] of Object.entries(file.tensors)) {
    if (key.startsWith(MODEL_PREFIX)) {
      model.set(key.slice(MODEL_PREFIX.length), hostTensor(key, t));
    } else if (key.startsWith(OPTIM_PREFIX)) {
      const m = /^(\d+)\.(\w+)$/.exec(key.slice(OPTIM_PREFIX.length));
      if (!m || !state[Number(m[1])] || t.dtype !== 'F32') {
        throw new CheckpointError(
          `optimizer tensor '${key}' belongs to no parameter with a step count, or is not F32`,
        );
      }
      state[Number(m[1])][m[2]] = { shape: t.shape, data: t.data as Float32Array };
    } else {
      throw new CheckpointError(`unexpected tensor '${key}' in a checkpoint`);
    }
  }
  checkFinite('model', model);
  for (const [i, entry] of Object.entries(state))
    checkFinite(
      `optimizer state ${i}`,
      Object.entries(entry).filter(
        (e): e is [string, { shape: number[]; data: Float32Array }] => typeof e[1] === 'object',
      ),
    );
  return { meta, model, optimizer: { state, param_groups: meta.paramGroups } };
}

/**
 * Refuses tensors holding NaN or an infinity, naming the first: trained from, they make the loss
 * NaN at once, and the message would then blame the learning rate.
 */
function checkFinite(what: string, tensors: Iterable<[string, { data: ArrayLike<number> }]>): void {
  for (const [name, t] of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]))
        throw new CheckpointError(
          `${what} tensor ${name} holds ${t.data[i]} at index ${i}: its values are damaged`,
        );
    }
  }
}

/** One tensor as the host state dict holds it: floats as float32, integer counters as int32. */
function hostTensor(key: string, t: SafetensorsTensor): HostTensor {
  if (t.dtype === 'F32') return { shape: t.shape, dtype: 'float32', data: t.data as Float32Array };
  if (t.dtype === 'I64') {
    return { shape: t.shape, dtype: 'int32', data: Int32Array.from(t.data as BigInt64Array, Number) };
  }
  throw new CheckpointError(`tensor '${key}' has dtype ${t.dtype}; a Kiln checkpoint holds F32 and I64 only`);
}

/**
 * A model state dict from a file holding either a plain state dict or a full checkpoint (whose
 * `model.` tensors it takes), for --init and the PyTorch side's loader.
 */
export function modelStateFromFile(bytes: Uint8Array): Map<string, HostTensor> {
  const file = decodeSafetensors(bytes);
  if (file.metadata[CHECKPOINT_KEY] !== undefined) return parseCheckpoint(bytes).model;
  const state = safetensorsToStateDict(bytes);
  checkFinite('model', state);
  return state;
}
