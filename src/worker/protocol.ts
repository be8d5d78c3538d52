/**
 * The typed message protocol between the page and the training worker. The worker owns the GPU
 * device and every tensor; the page sends it commands and receives plain data back (numbers,
 * arrays, transferable byte buffers), so the UI never holds a GPUBuffer or a Tensor.
 */
import type { NamedBytes } from '../data/types';
import type { ModelSpec } from '../nn/spec';
import type {
  CosineAnnealingLROptions,
  ExponentialLROptions,
  LinearLROptions,
  MultiStepLROptions,
  OneCycleLROptions,
  ReduceLROnPlateauOptions,
  StepLROptions,
} from '../optim/lr_scheduler';

/** The adapter limits that bound training: tensor sizes, binding sizes and kernel tile shapes. */
export const TRAINING_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

/** One of the limits in TRAINING_LIMITS. */
export type TrainingLimit = (typeof TRAINING_LIMITS)[number];

/** A GPU adapter described as plain data, as both the page's probe and the worker's `ready` report it. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software or otherwise degraded adapter (e.g. SwiftShader): expect slow training. */
  isFallbackAdapter: boolean;
  limits: Record<TrainingLimit, number>;
  /** Every feature the adapter offers, sorted. */
  features: string[];
  /** Subgroup size range when the `subgroups` feature is present. */
  subgroupSizes?: { min: number; max: number };
}

/** Which engine the worker runs the model on; both run the same `train/` code. */
export type Backend = 'webgpu' | 'cpu';

/** The datasets shipped with the app (copied into the build, served from its own origin). */
export type BuiltinDataset = 'mnist' | 'fashion-mnist';

/** Where a dataset comes from: one of the app's own, or files the user picked (IDX or CSV). */
export type DatasetSource = { kind: 'builtin'; id: BuiltinDataset } | { kind: 'files'; files: NamedBytes[] };

/** An optimizer and its hyperparameters, with torch.optim's names. */
export type OptimizerConfig =
  | { type: 'SGD'; lr: number; momentum: number; weightDecay: number; nesterov: boolean }
  | { type: 'Adam' | 'AdamW'; lr: number; betas: [number, number]; eps: number; weightDecay: number };

/** A learning-rate schedule with torch.optim.lr_scheduler's names, stepped once per epoch except OneCycleLR. */
export type SchedulerConfig =
  | { type: 'none' }
  | ({ type: 'StepLR' } & StepLROptions)
  | ({ type: 'MultiStepLR' } & MultiStepLROptions)
  | ({ type: 'ExponentialLR' } & ExponentialLROptions)
  | ({ type: 'CosineAnnealingLR' } & CosineAnnealingLROptions)
  | ({ type: 'LinearLR' } & LinearLROptions)
  | ({ type: 'OneCycleLR' } & OneCycleLROptions)
  | ({ type: 'ReduceLROnPlateau' } & ReduceLROnPlateauOptions);

/** Everything about a run except the model: the DataLoader, the optimizer, the schedule, the logging. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  /** Fraction of the training set held out for validation after each epoch. */
  valFraction: number;
  /** Seeds initialisation, shuffling, the split and dropout, so a run can be repeated exactly. */
  seed: number;
  optimizer: OptimizerConfig;
  scheduler: SchedulerConfig;
  /** clip_grad_norm_ max_norm; absent means no clipping. */
  maxGradNorm?: number;
  /** Read metrics back from the device every this many steps (readback stalls the pipeline). */
  logEvery: number;
}

/** One logged value, as TensorBoard's add_scalar records it. */
export interface Scalar {
  /** e.g. 'loss/train', 'accuracy/train', 'lr', 'grad_norm'. */
  tag: string;
  value: number;
  step: number;
  /** Milliseconds since the Unix epoch when the value was computed. */
  wallTime: number;
}

/** Classification quality over a whole split. */
export interface Evaluation {
  loss: number;
  accuracy: number;
  /** Accuracy per class, indexed by class. */
  perClassAccuracy: number[];
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
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

/** Commands from the page to the worker. */
export type ToWorker =
  | { type: 'init'; backend: Backend }
  | { type: 'loadDataset'; source: DatasetSource }
  | { type: 'train'; runId: string; model: ModelSpec; config: TrainConfig }
  | { type: 'pause'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'stop'; runId: string }
  /** Score a run's current weights on the test split. */
  | { type: 'evaluate'; runId: string }
  /** Classify one image: `pixels` in [0, 1], row-major, the dataset's input shape. */
  | { type: 'predict'; requestId: number; runId: string; pixels: Float32Array }
  | { type: 'exportCheckpoint'; runId: string }
  /** Continue from a safetensors checkpoint; its header carries the model spec. */
  | { type: 'importCheckpoint'; runId: string; bytes: Uint8Array };

/** Reports from the worker to the page. */
export type FromWorker =
  /** The backend is up; `adapter` is null on the CPU backend. */
  | { type: 'ready'; backend: Backend; adapter: AdapterSummary | null }
  | { type: 'datasetProgress'; name: string; loadedBytes: number; totalBytes: number }
  | {
      type: 'datasetReady';
      name: string;
      trainSize: number;
      testSize: number;
      inputShape: number[];
      classNames: string[];
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
    }
  | { type: 'status'; runId: string; state: RunState; epoch: number; step: number; stepsPerEpoch: number }
  | ({ type: 'evaluation'; runId: string } & Evaluation)
  | { type: 'prediction'; requestId: number; probabilities: number[] }
  /** A safetensors file, transferred (not copied); `fileName` is a suggestion for the download. */
  | { type: 'checkpoint'; runId: string; fileName: string; bytes: Uint8Array }
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
