/**
 * The typed message protocol between the page and the training worker. The worker owns the GPU
 * device and every tensor; the page sends it commands and receives plain data back (numbers,
 * arrays, transferable byte buffers), so the UI never holds a GPUBuffer or a Tensor.
 */

import type { Histogram } from 'kiln';
import type { Scalar } from 'kiln/checkpoint';
import {
  type ConfigProblem,
  configJson,
  type LrFindPoint,
  type LrFindResult,
  MAX_SAMPLE_CHARS,
  type SampleOptions,
  type TrainConfig,
} from 'kiln/config';
import type { NamedBytes } from 'kiln/datasets';
import type { AdapterSummary } from 'kiln/gpu';
import { type ModelSpec, modelSpec } from 'kiln/spec';
import type { ErrorKind, RunPhase } from 'kiln/train';
import {
  array,
  count,
  type Fields,
  instance,
  json,
  map,
  nullable,
  number,
  object,
  oneOf,
  optional,
  type Schema,
  string,
  tagged,
} from '../schema';
import type { Inspection, TextInspection } from './inspect';

export type { Scalar } from 'kiln/checkpoint';
export type {
  ConfigProblem,
  LrFindEnd,
  LrFindPoint,
  LrFindResult,
  LrMark,
  OptimizerName,
  SampleOptions,
  SchedulerConfig,
  TrainConfig,
} from 'kiln/config';
export type { AdapterSummary, TrainingLimit } from 'kiln/gpu';
export { TRAINING_LIMITS } from 'kiln/gpu';
export type { RunPhase } from 'kiln/train';
export type {
  AttentionPattern,
  Inspection,
  LayerOutput,
  NextChars,
  TextInspection,
  WeightImages,
} from './inspect';

/**
 * Which engine the worker runs the model on; all run the same `train/` code. Without WebGPU the
 * page asks for wasm, and the worker answers cpu where this browser cannot run WebAssembly SIMD.
 */
export type Backend = 'webgpu' | 'wasm' | 'cpu';

/** The datasets shipped with the app (copied into the build, served from its own origin): MNIST and the Jargon File. */
export type BuiltinDataset = 'mnist' | 'jargon';

/**
 * Where a dataset comes from: one of the app's own, files the user picked (IDX or CSV), or a
 * dataset made from the user's files before, read back by its name from this browser's cache.
 */
export type DatasetSource =
  | { kind: 'builtin'; id: BuiltinDataset }
  | { kind: 'files'; name: string; files: NamedBytes[] }
  | { kind: 'cached'; name: string };

/** What the worker is doing with a run. */
export type RunState = 'queued' | 'running' | 'paused' | 'stopped' | 'finished' | 'failed';

/** The ways things go wrong, each of which the UI explains differently. */
export type WorkerErrorKind = ErrorKind;

/** What a full checkpoint says of the run it holds, for the page to show it as that run. */
export interface CheckpointSummary {
  config: TrainConfig;
  /** Epochs completed and optimizer steps taken. */
  epoch: number;
  step: number;
  /** The last training loss, or null. */
  loss: number | null;
  /** The data it trained on: the dataset's name and training-set size. */
  dataset: string | null;
  trainSamples: number;
  /** Its logged scalars up to the checkpoint. */
  history: Scalar[];
}

/** A few training images for the data panel: raw bytes (rows x cols) and labels. */
export interface SampleImage {
  pixels: Uint8Array;
  label: number;
}

/** A few rows of a table for the data panel: the features as in the file, and the label. */
export interface SampleRow {
  features: number[];
  label: number;
}

/** A wrong prediction on the validation set, with its image. */
export interface Misclassified extends SampleImage {
  predicted: number;
}

/**
 * A histogram as the worker posts it: ops' Histogram (bins over [lo, hi], NaN and infinities
 * apart), tagged as TensorBoard tags it (fc1.weight, fc1.weight.grad), its counts transferable.
 */
export interface HistogramSample extends Omit<Histogram, 'counts'> {
  tag: string;
  counts: Uint32Array;
}

/** Commands from the page to the worker. */
export type ToWorker =
  | { type: 'init'; backend: Backend }
  | { type: 'loadDataset'; source: DatasetSource }
  /**
   * Starts a run; with `resume` (a full checkpoint) it continues that run where it stopped, with the
   * checkpoint's settings, and `config.epochs` as the epochs in all.
   */
  | { type: 'train'; runId: string; model: ModelSpec; config: TrainConfig; resume?: Uint8Array }
  /**
   * The learning-rate range test (train/lr_find.ts) on a fresh run of `model` with `config` on the
   * loaded data: each step streamed as `lrFindPoint`, closed by `lrFindEnd`. Refused while a run
   * trains (they would share the global generator), as training is while it runs.
   */
  | { type: 'lrFind'; requestId: number; model: ModelSpec; config: TrainConfig }
  /** Ends the range test after its current step; lrFindEnd then carries the curve so far. */
  | { type: 'stopLrFind'; requestId: number }
  /** Frees everything the worker holds for a run (stopping it first if it trains). */
  | { type: 'disposeRun'; runId: string }
  | { type: 'pause'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'stop'; runId: string }
  /** Store a checkpoint of a training run after its current step (the page is going away). */
  | { type: 'checkpointNow'; runId: string }
  /** Classify one image: `pixels` in [0, 1], row-major, the dataset's input shape. */
  | { type: 'predict'; requestId: number; runId: string; pixels: Float32Array }
  /** Each layer's output for one image (`pixels` as for predict) and the first layer's weights. */
  | { type: 'inspect'; requestId: number; runId: string; pixels: Float32Array }
  /**
   * Text from a language model's current weights (train/generate.ts's settings), streamed back as
   * `sampleText` and closed by `sampleEnd`. A training run pauses between two steps while it is
   * made, and its own generator is not drawn from.
   */
  | ({ type: 'sample'; requestId: number; runId: string } & SampleOptions)
  /** A language model's attention patterns and next-character probabilities for a prompt. */
  | { type: 'inspectText'; requestId: number; runId: string; prompt: string }
  /** A full checkpoint (to resume) or the model's state dict (.safetensors, for PyTorch). */
  | { type: 'exportCheckpoint'; runId: string; kind: 'checkpoint' | 'model' }
  /**
   * Loads a checkpoint's weights to evaluate and draw with. A run the worker does not hold (one
   * restored after a reload, or an upload) is built first from the file's `spec` metadata, else
   * from `model` (the builder's, which may be half edited: read only when it is needed).
   * Answered by `checkpointLoaded`, or an `error` with the run's id.
   */
  | { type: 'importCheckpoint'; runId: string; bytes: Uint8Array; model?: unknown };

/** Reports from the worker to the page. */
export type FromWorker =
  /** The backend is up; `adapter` is null on the CPU backend; `threads`: the WASM backend's (absent: 1). */
  | { type: 'ready'; backend: Backend; adapter: AdapterSummary | null; threads?: number }
  | { type: 'datasetProgress'; name: string; file: string; loadedBytes: number; totalBytes: number }
  | {
      type: 'datasetReady';
      name: string;
      trainSize: number;
      testSize: number;
      inputShape: number[];
      numClasses: number;
      fromCache: boolean;
      /** The first images of image data (none for a table). */
      samples: SampleImage[];
      /** The first rows of tabular data (absent for images). */
      rows?: SampleRow[];
      /** A table's feature names, when its file has a header. */
      columns?: string[];
      /** The classes' names by index, where the labels were names (a CSV's `species`). */
      classes?: string[];
      /**
       * A text's vocabulary (id i is its i-th character), its validation characters and its
       * first characters; trainSize is then its training characters and numClasses the vocabulary's size.
       */
      text?: { vocab: string; valSize: number; excerpt: string };
    }
  | { type: 'metrics'; runId: string; step: number; epoch: number; scalars: Scalar[] }
  | {
      type: 'epochEnd';
      runId: string;
      epoch: number;
      step: number;
      valLoss: number;
      valAcc: number;
      perClassAcc: number[];
      confusion: number[][];
      misclassified: Misclassified[];
    }
  | {
      type: 'status';
      runId: string;
      state: RunState;
      /** What a running run is doing (null unless running). */
      phase: RunPhase | null;
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      epochs: number;
      samplesPerSec: number;
      /** Seconds one validation pass takes: the last one timed, else an estimate (null before any figure). */
      valSeconds: number | null;
      /**
       * The settings the run trains with, in the run's first report: the page's, with what the data
       * decided (the normalisation computed on the training split), or a resumed checkpoint's.
       */
      config?: TrainConfig;
    }
  | { type: 'prediction'; requestId: number; probabilities: number[] }
  /** Every parameter's and gradient's histogram at a probed step (wallTime in ms). */
  | { type: 'histograms'; runId: string; step: number; wallTime: number; items: HistogramSample[] }
  | ({ type: 'inspection'; requestId: number } & Inspection)
  /**
   * A text run's sample at an evaluation (`step`: generate.ts recordSample, from a newline with
   * sample.py's settings): the page keeps them in the run's record, a list by step.
   */
  | { type: 'runSample'; runId: string; step: number; text: string }
  /** The next characters of a sample, as they are generated. */
  | { type: 'sampleText'; requestId: number; text: string }
  /**
   * A sample is complete, or was refused or failed (`error`, one line): answered here rather than
   * as an `error` report, which would mark the run itself failed.
   */
  | { type: 'sampleEnd'; requestId: number; error: string | null }
  /** One step of the learning-rate range test, as it is measured. */
  | { type: 'lrFindPoint'; requestId: number; point: LrFindPoint }
  /**
   * The range test is over: its curve and marks, or why it was refused or failed (`error`, one
   * line; a diverging loss is its expected end, not an error). Answered here, as sampleEnd, rather
   * than as an `error` report.
   */
  | { type: 'lrFindEnd'; requestId: number; result: LrFindResult | null; error: string | null }
  /** inspectText's answer: the inspection, or why there is none (one line). */
  | { type: 'textInspection'; requestId: number; inspection: TextInspection | null; error: string | null }
  /**
   * importCheckpoint succeeded: the run now predicts with the checkpoint's weights and this spec;
   * `run` describes the run of a full checkpoint (absent for a plain state dict).
   */
  | { type: 'checkpointLoaded'; runId: string; model: ModelSpec; run?: CheckpointSummary }
  /**
   * A .safetensors file, transferred (not copied); `auto` marks one the run keeps for itself: after
   * each epoch, every AUTO_CHECKPOINT_MS, and when the page asks before it goes away.
   */
  | {
      type: 'checkpoint';
      runId: string;
      kind: 'checkpoint' | 'model' | 'auto';
      fileName: string;
      bytes: Uint8Array;
      /** Where the run stood when the bytes were taken: epochs completed, optimizer steps. */
      epoch: number;
      step: number;
    }
  /** A failure; `problems` lists a config error's fields, for the form to mark them. */
  | { type: 'error'; kind: WorkerErrorKind; message: string; runId?: string; problems?: ConfigProblem[] };

const runId = string(200);
const bytes = instance(Uint8Array, 'bytes (a Uint8Array)');
const pixels = instance(Float32Array, 'pixels (a Float32Array)');
const oneLine = string(200, { pattern: /^[^\n\r]+$/, what: 'a one-line name' });

// Every command has its line: one added to ToWorker without one here does not compile.
const commands = {
  init: { backend: oneOf(['webgpu', 'wasm', 'cpu']) },
  loadDataset: {
    source: tagged(
      'kind',
      {
        builtin: { id: oneOf(['mnist', 'jargon']) },
        files: { name: oneLine, files: array(object({ name: string(1000), bytes }), 1000) },
        cached: { name: oneLine },
      },
      'a dataset source',
    ),
  },
  // The config's structure only: the session resolves it, so the form hears which fields failed.
  train: {
    runId,
    model: modelSpec,
    config: map(configJson, (c) => c as unknown as TrainConfig),
    resume: optional(bytes),
  },
  lrFind: {
    requestId: count(),
    model: modelSpec,
    config: map(configJson, (c) => c as unknown as TrainConfig),
  },
  stopLrFind: { requestId: count() },
  disposeRun: { runId },
  pause: { runId },
  resume: { runId },
  stop: { runId },
  checkpointNow: { runId },
  predict: { requestId: count(), runId, pixels },
  inspect: { requestId: count(), runId, pixels },
  // Sizes only here: generate() checks each setting's range, in one place for the CLI and the page.
  sample: {
    requestId: count(),
    runId,
    prompt: string(MAX_SAMPLE_CHARS),
    tokens: count(),
    temperature: number(),
    topK: nullable(count()),
    seed: count(),
  },
  inspectText: { requestId: count(), runId, prompt: string(MAX_SAMPLE_CHARS) },
  exportCheckpoint: { runId, kind: oneOf(['checkpoint', 'model']) },
  importCheckpoint: { runId, bytes, model: optional(json()) },
} satisfies Record<ToWorker['type'], Fields>;

/**
 * A command as the worker reads it: anything posted to it is untrusted until read here, so a
 * malformed one is refused in one line and never half-handled.
 */
export const toWorker: Schema<ToWorker> = tagged('type', commands, 'a worker command');

/** A message's variant by its `type`. */
export type MessageOf<M extends { type: string }, T extends M['type']> = Extract<M, { type: T }>;

/** The buffers a message can hand over without copying: pixel arrays, dataset files, checkpoints. */
export function transferables(msg: ToWorker | FromWorker): Transferable[] {
  switch (msg.type) {
    case 'predict':
    case 'inspect':
      return [msg.pixels.buffer];
    case 'textInspection':
      return msg.inspection?.attention.map((a) => a.values.buffer) ?? [];
    case 'inspection':
      return [...msg.layers.map((l) => l.values.buffer), ...(msg.weights ? [msg.weights.values.buffer] : [])];
    case 'importCheckpoint':
    case 'checkpoint':
      return [msg.bytes.buffer];
    case 'loadDataset':
      return msg.source.kind === 'files' ? msg.source.files.map((f) => f.bytes.buffer) : [];
    case 'histograms':
      return msg.items.map((h) => h.counts.buffer);
    default:
      return [];
  }
}
