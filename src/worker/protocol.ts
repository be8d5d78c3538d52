/**
 * The typed message protocol between the page and the training worker. The worker owns the GPU
 * device and every tensor; the page sends it commands and receives plain data back (numbers,
 * arrays, transferable byte buffers), so the UI never holds a GPUBuffer or a Tensor.
 */
import type { NamedBytes } from '../data/types';
import type { AdapterSummary } from '../gpu/device';
import type { ModelSpec } from '../nn/spec';
import type { TrainConfig } from '../train/config';

export type { AdapterSummary, TrainingLimit } from '../gpu/device';
export { TRAINING_LIMITS } from '../gpu/device';
export type { OptimizerName, SchedulerConfig, TrainConfig } from '../train/config';

/** Which engine the worker runs the model on; both run the same `train/` code. */
export type Backend = 'webgpu' | 'cpu';

/** The datasets shipped with the app (copied into the build, served from its own origin). */
export type BuiltinDataset = 'mnist';

/** Where a dataset comes from: one of the app's own, or files the user picked (IDX or CSV). */
export type DatasetSource =
  | { kind: 'builtin'; id: BuiltinDataset }
  | { kind: 'files'; name: string; files: NamedBytes[] };

/** One logged value, as TensorBoard's add_scalar records it. */
export interface Scalar {
  /** TensorBoard's tag: 'Loss/train', 'learning_rate', 'Loss/val', 'Accuracy/val'. */
  tag: string;
  value: number;
  step: number;
  /** Milliseconds since the Unix epoch when the value was computed. */
  wallTime: number;
}

/** What the worker is doing with a run. */
export type RunState = 'queued' | 'running' | 'paused' | 'stopped' | 'finished' | 'failed';

/** The ways things go wrong, each of which the UI explains differently. */
export type WorkerErrorKind =
  | 'no-webgpu'
  | 'device-lost'
  | 'out-of-memory'
  | 'nan-loss'
  | 'quota'
  | 'bad-input'
  | 'dataset'
  | 'internal';

/** A few training images for the data panel: raw bytes (rows x cols) and labels. */
export interface SampleImage {
  pixels: Uint8Array;
  label: number;
}

/** A wrong prediction on the validation set, with its image. */
export interface Misclassified extends SampleImage {
  predicted: number;
}

/** Commands from the page to the worker. */
export type ToWorker =
  | { type: 'init'; backend: Backend }
  | { type: 'loadDataset'; source: DatasetSource }
  /** Starts a run; with `resume` (a full checkpoint) it continues that run where it stopped. */
  | { type: 'train'; runId: string; model: ModelSpec; config: TrainConfig; resume?: Uint8Array }
  | { type: 'pause'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'stop'; runId: string }
  /** Classify one image: `pixels` in [0, 1], row-major, the dataset's input shape. */
  | { type: 'predict'; requestId: number; runId: string; pixels: Float32Array }
  /** A full checkpoint (to resume) or the model's state dict (.safetensors, for PyTorch). */
  | { type: 'exportCheckpoint'; runId: string; kind: 'checkpoint' | 'model' }
  /**
   * Loads a checkpoint's weights to evaluate and draw with. A run the worker does not hold (one
   * restored after a reload, or an upload) is built first from the file's `spec` metadata, else
   * from `model`. Answered by `checkpointLoaded`, or an `error` with the run's id.
   */
  | { type: 'importCheckpoint'; runId: string; bytes: Uint8Array; model?: ModelSpec };

/** Reports from the worker to the page. */
export type FromWorker =
  /** The backend is up; `adapter` is null on the CPU backend. */
  | { type: 'ready'; backend: Backend; adapter: AdapterSummary | null }
  | { type: 'datasetProgress'; name: string; file: string; loadedBytes: number; totalBytes: number }
  | {
      type: 'datasetReady';
      name: string;
      trainSize: number;
      testSize: number;
      inputShape: number[];
      numClasses: number;
      fromCache: boolean;
      samples: SampleImage[];
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
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      epochs: number;
      samplesPerSec: number;
    }
  | { type: 'prediction'; requestId: number; probabilities: number[] }
  /** importCheckpoint succeeded: the run now predicts with the checkpoint's weights and this spec. */
  | { type: 'checkpointLoaded'; runId: string; model: ModelSpec }
  /** A .safetensors file, transferred (not copied); `auto` marks the one saved after each epoch. */
  | {
      type: 'checkpoint';
      runId: string;
      kind: 'checkpoint' | 'model' | 'auto';
      fileName: string;
      bytes: Uint8Array;
    }
  | { type: 'error'; kind: WorkerErrorKind; message: string; runId?: string };

/** A message's variant by its `type`. */
export type MessageOf<M extends { type: string }, T extends M['type']> = Extract<M, { type: T }>;

/** The buffers a message can hand over without copying: pixel arrays, dataset files, checkpoints. */
export function transferables(msg: ToWorker | FromWorker): Transferable[] {
  switch (msg.type) {
    case 'predict':
      return [msg.pixels.buffer];
    case 'importCheckpoint':
    case 'checkpoint':
      return [msg.bytes.buffer];
    case 'loadDataset':
      return msg.source.kind === 'files' ? msg.source.files.map((f) => f.bytes.buffer) : [];
    default:
      return [];
  }
}
