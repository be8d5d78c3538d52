/**
 * Full checkpoints, the guide's dictionary (epoch, model, optimizer, scheduler, loss) plus what an
 * exact resume needs (global step, the global generator, the data order position, the config and
 * the model spec), as ONE self-describing .safetensors file:
 *
 *   model.<key>                    the model's state dict, PyTorch's keys (F32, I64 counters)
 *   optimizer.state.<i>.<name>     optimizer state tensors (exp_avg, momentum_buffer...), F32
 *   __metadata__["kiln.checkpoint"]  JSON: CheckpointMeta
 *
 * Loading is all or nothing: the file is parsed and checked against the run completely before a
 * single value is written.
 */

import { DataLoader, type LoaderPosition } from '../data/dataloader';
import type { Dataset } from '../data/dataset';
import { buildModel, CrossEntropyLoss, type HostTensor, type SpecModel } from '../nn';
import { type ModelSpec, specError } from '../nn/spec';
import type { OptimizerStateDict } from '../optim/optimizer';
import { defaultGenerator, manualSeed } from '../tensor/default';
import { Generator, type GeneratorState } from '../tensor/random';
import { numel } from '../tensor/tensor';
import { createOptimizer, createSchedule, type TrainConfig } from './config';
import { decodeSafetensors, FORMAT_VERSION, type SafetensorsTensor } from './safetensors';
import { safetensorsToStateDict, stateDictToSafetensors } from './state_dict';
import { Trainer } from './trainer';

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
  config: TrainConfig;
  spec: ModelSpec;
}

/** A parsed, validated checkpoint. */
export interface Checkpoint {
  meta: CheckpointMeta;
  model: Map<string, HostTensor>;
  optimizer: OptimizerStateDict;
}

/** The live objects of a run: what capture reads and restore writes. */
export interface Run {
  spec: ModelSpec;
  config: TrainConfig;
  model: SpecModel;
  trainer: Trainer;
}

/**
 * A fresh run, built the way the CLI always has: seed the global generator, build the model from
 * the spec (which draws its initial weights), a shuffling loader with its own seeded generator, the
 * config's optimizer, scheduler and label-smoothed loss.
 */
export function createRun(spec: ModelSpec, config: TrainConfig, train: Dataset): Run {
  manualSeed(config.seed);
  const model = buildModel(spec);
  const loader = new DataLoader(train, {
    batchSize: config.batchSize,
    shuffle: config.shuffle,
    generator: new Generator(config.seed),
  });
  const optimizer = createOptimizer(config, model.parameters());
  const schedule = createSchedule(config, optimizer, loader.length);
  const loss = new CrossEntropyLoss({ labelSmoothing: config.labelSmoothing });
  return { spec, config, model, trainer: new Trainer(model, optimizer, loss, loader, config, schedule) };
}

/** Captures a live run as checkpoint bytes. `loss` is the last training loss to record. */
export async function captureCheckpoint(run: Run, loss: number | null = null): Promise<Uint8Array> {
  const { trainer } = run;
  const sd = await trainer.optimizer.stateDict();
  const tensors = new Map<string, HostTensor>();
  for (const [k, t] of await run.model.stateDictData()) tensors.set(MODEL_PREFIX + k, t);
  const optimizerSteps: Record<string, number> = {};
  for (const [i, entry] of Object.entries(sd.state)) {
    optimizerSteps[i] = entry.step;
    for (const [name, v] of Object.entries(entry)) {
      if (typeof v === 'object') {
        tensors.set(`${OPTIM_PREFIX}${i}.${name}`, { shape: v.shape, dtype: 'float32', data: v.data });
      }
    }
  }
  const meta: CheckpointMeta = {
    version: FORMAT_VERSION,
    epoch: trainer.epoch,
    globalStep: trainer.globalStep,
    loss: loss !== null && Number.isFinite(loss) ? loss : null,
    paramGroups: sd.param_groups,
    optimizerSteps,
    scheduler: trainer.schedule ? trainer.schedule.scheduler.stateDict() : null,
    generator: defaultGenerator.getState(),
    loader: trainer.loader.position(),
    trainSamples: trainer.loader.dataset.length,
    config: run.config,
    spec: run.spec,
  };
  return stateDictToSafetensors(tensors, { [CHECKPOINT_KEY]: JSON.stringify(meta) });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isGeneratorState = (v: unknown): v is GeneratorState =>
  isObject(v) &&
  typeof v.state === 'string' &&
  /^\d+$/.test(v.state) &&
  (v.spare === null || typeof v.spare === 'number');

/** Checks the JSON's shape field by field, so a damaged file fails here and not halfway through a restore. */
function checkMeta(m: unknown): CheckpointMeta {
  const bad = (what: string) => new CheckpointError(`checkpoint metadata: ${what}`);
  if (!isObject(m)) throw bad('not a JSON object');
  if (!isCount(m.version)) throw bad('no format version');
  if (m.version > FORMAT_VERSION) {
    throw new CheckpointError(
      `checkpoint format version ${m.version} is newer than this Kiln supports (${FORMAT_VERSION}); update Kiln to load it`,
    );
  }
  if (!isCount(m.epoch) || !isCount(m.globalStep))
    throw bad('epoch and globalStep must be non-negative integers');
  if (m.loss !== null && typeof m.loss !== 'number') throw bad('loss must be a number or null');
  if (!Array.isArray(m.paramGroups) || !m.paramGroups.every((g) => isObject(g) && Array.isArray(g.params))) {
    throw bad('paramGroups must be a list of groups with params');
  }
  if (!isObject(m.optimizerSteps) || !Object.values(m.optimizerSteps).every(isCount)) {
    throw bad('optimizerSteps must map parameter indices to step counts');
  }
  if (!isGeneratorState(m.generator)) throw bad('generator state is malformed');
  if (!isObject(m.loader) || !isGeneratorState(m.loader.generator) || !isCount(m.loader.batch)) {
    throw bad('loader position is malformed');
  }
  if (!isCount(m.trainSamples)) throw bad('trainSamples must be a count');
  if (!isObject(m.config) || !isCount(m.config.batchSize) || !isObject(m.config.scheduler)) {
    throw bad('config is malformed');
  }
  if (!isObject(m.spec) || !Array.isArray(m.spec.layers) || !Array.isArray(m.spec.inputShape)) {
    throw bad('model spec is malformed');
  }
  const specProblem = specError(m.spec as unknown as ModelSpec);
  if (specProblem) throw bad(`model spec is invalid: ${specProblem}`);
  return m as unknown as CheckpointMeta;
}

/** Parses and validates checkpoint bytes (corrupt, truncated or newer files throw). */
export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  const file = decodeSafetensors(bytes);
  const json = file.metadata[CHECKPOINT_KEY];
  if (json === undefined) {
    throw new CheckpointError(
      'this file is a state dict, not a full checkpoint (it has no kiln.checkpoint metadata)',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new CheckpointError(`checkpoint metadata is not valid JSON: ${(e as Error).message}`);
  }
  const meta = checkMeta(raw);
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
  return { meta, model, optimizer: { state, param_groups: meta.paramGroups } };
}

/** One tensor as the host state dict holds it: floats as float32, integer counters as int32. */
function hostTensor(key: string, t: SafetensorsTensor): HostTensor {
  if (t.dtype === 'F32') return { shape: t.shape, dtype: 'float32', data: t.data as Float32Array };
  if (t.dtype === 'I64') {
    return { shape: t.shape, dtype: 'int32', data: Int32Array.from(t.data as BigInt64Array, Number) };
  }
  throw new CheckpointError(`tensor '${key}' has dtype ${t.dtype}; a Kiln checkpoint holds F32 and I64 only`);
}

/** Every way a checkpoint does not fit a run, as PyTorch's strict load lists them. */
function mismatches(ckpt: Checkpoint, run: Run): string[] {
  const problems: string[] = [];
  const own = run.model.stateDict();
  const missing = [...own.keys()].filter((k) => !ckpt.model.has(k));
  const unexpected = [...ckpt.model.keys()].filter((k) => !own.has(k));
  if (missing.length) problems.push(`missing key(s): ${missing.join(', ')}`);
  if (unexpected.length) problems.push(`unexpected key(s): ${unexpected.join(', ')}`);
  for (const [k, t] of own) {
    const g = ckpt.model.get(k);
    if (g && (g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i]))) {
      problems.push(`size mismatch for ${k}: [${g.shape}] in the checkpoint, [${t.shape}] in the model`);
    }
  }
  const { config, trainSamples } = ckpt.meta;
  if (config.optimizer !== run.config.optimizer) {
    problems.push(`optimizer ${config.optimizer} in the checkpoint, ${run.config.optimizer} in the run`);
  }
  if (config.scheduler.name !== run.config.scheduler.name) {
    problems.push(
      `scheduler ${config.scheduler.name} in the checkpoint, ${run.config.scheduler.name} in the run`,
    );
  }
  if (trainSamples !== run.trainer.loader.dataset.length) {
    problems.push(
      `the checkpoint trained on ${trainSamples} samples, this run has ${run.trainer.loader.dataset.length}`,
    );
  }
  const groups = run.trainer.optimizer.paramGroups;
  const sizes = groups.flatMap((g) => g.params.map((p) => numel(p.shape)));
  if (
    ckpt.optimizer.param_groups.length !== groups.length ||
    ckpt.optimizer.param_groups.some((g, i) => g.params.length !== groups[i].params.length)
  ) {
    problems.push('optimizer parameter groups differ');
  } else {
    for (const [i, entry] of Object.entries(ckpt.optimizer.state)) {
      for (const [name, v] of Object.entries(entry)) {
        if (typeof v === 'object' && v.data.length !== sizes[Number(i)]) {
          problems.push(
            `optimizer state ${i}.${name} has ${v.data.length} values, parameter ${i} has ${sizes[Number(i)]}`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Loads a checkpoint into a live run: model, optimizer, scheduler, the global generator, the
 * loader's position, epoch and step. Everything is checked first; on any mismatch (another
 * architecture, optimizer, scheduler or dataset size) it throws one CheckpointError listing every
 * problem and the run is untouched.
 */
export function restoreCheckpoint(ckpt: Checkpoint, run: Run): void {
  const problems = mismatches(ckpt, run);
  if (problems.length) {
    throw new CheckpointError(
      `checkpoint does not fit this run (model ${ckpt.meta.spec.name} in the file, ${run.spec.name} here): ${problems.join('; ')}`,
    );
  }
  const { trainer } = run;
  run.model.loadStateDict(ckpt.model);
  trainer.optimizer.loadStateDict(ckpt.optimizer);
  if (trainer.schedule && ckpt.meta.scheduler !== null) {
    trainer.schedule.scheduler.loadStateDict(ckpt.meta.scheduler as never);
  }
  defaultGenerator.setState(ckpt.meta.generator);
  trainer.loader.resume(ckpt.meta.loader);
  trainer.epoch = ckpt.meta.epoch;
  trainer.globalStep = ckpt.meta.globalStep;
}

/**
 * Rebuilds a run from checkpoint bytes on the default backend, with its training set (the data is
 * not in the file) and optional config overrides (the CLI's --epochs counts epochs in all). Throws
 * CheckpointError or SafetensorsError and leaves the global generator as it was when it fails.
 */
export function resumeRun(bytes: Uint8Array, train: Dataset, overrides: Partial<TrainConfig> = {}): Run {
  const ckpt = parseCheckpoint(bytes);
  const before = defaultGenerator.getState();
  const run = createRun(ckpt.meta.spec, { ...ckpt.meta.config, ...overrides }, train);
  try {
    restoreCheckpoint(ckpt, run);
  } catch (e) {
    defaultGenerator.setState(before);
    for (const t of run.model.stateDict().values()) t.dispose();
    throw e;
  }
  return run;
}

/**
 * A model state dict from a file holding either a plain state dict or a full checkpoint (whose
 * `model.` tensors it takes), for --init and the PyTorch side's loader.
 */
export function modelStateFromFile(bytes: Uint8Array): Map<string, HostTensor> {
  const file = decodeSafetensors(bytes);
  if (file.metadata[CHECKPOINT_KEY] === undefined) return safetensorsToStateDict(bytes);
  return parseCheckpoint(bytes).model;
}
