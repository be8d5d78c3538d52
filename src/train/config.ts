/**
 * A training run's configuration as plain data (what the CLI parses, the UI edits, a checkpoint
 * stores and the PyTorch exporter writes out), and the factories that turn it into objects.
 */
import type { Parameter } from '../nn/module';
import {
  Adam,
  AdamW,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  type Optimizer,
  ReduceLROnPlateau,
  RMSprop,
  SGD,
  StepLR,
} from '../optim';

/** The optimizers, by their PyTorch names in lower case. */
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop';

/** A learning-rate schedule and its parameters (PyTorch's names in camelCase). */
export type SchedulerConfig =
  | { name: 'none' }
  | { name: 'step'; stepSize: number; gamma: number }
  | { name: 'multistep'; milestones: number[]; gamma: number }
  | { name: 'exponential'; gamma: number }
  | { name: 'cosine'; tMax: number; etaMin: number }
  | {
      name: 'plateau';
      mode: 'min' | 'max';
      factor: number;
      patience: number;
      threshold: number;
      cooldown: number;
      minLr: number;
    }
  | { name: 'linear'; startFactor: number; endFactor: number; totalIters: number }
  | { name: 'onecycle'; maxLr: number; pctStart: number };

/** Everything that decides how a run trains. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  momentum: number;
  weightDecay: number;
  betas: [number, number];
  seed: number;
  shuffle: boolean;
  scheduler: SchedulerConfig;
  clipNorm: number | null;
  clipValue: number | null;
  labelSmoothing: number;
  /** Train on the first N training samples only. */
  limit: number | null;
  /** Hold out this many training samples for validation (seeded); 0 validates on the test set. */
  valSplit: number;
  /** Read the training loss back every N steps. */
  logEvery: number;
  /** Input normalisation (MNIST's by default). */
  mean: number;
  std: number;
}

/** The guide's recipe: Adam, lr 1e-3, batch 64, MNIST's normalisation. */
export const DEFAULT_CONFIG: TrainConfig = {
  epochs: 3,
  batchSize: 64,
  lr: 1e-3,
  optimizer: 'adam',
  momentum: 0,
  weightDecay: 0,
  betas: [0.9, 0.999],
  seed: 0,
  shuffle: true,
  scheduler: { name: 'none' },
  clipNorm: null,
  clipValue: null,
  labelSmoothing: 0,
  limit: null,
  valSplit: 0,
  logEvery: 50,
  mean: 0.1307,
  std: 0.3081,
};

/** The optimizer a config names. */
export function createOptimizer(c: TrainConfig, params: Parameter[]): Optimizer {
  switch (c.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
    case 'adam':
      return new Adam(params, { lr: c.lr, betas: c.betas, weightDecay: c.weightDecay });
    case 'adamw':
      return new AdamW(params, { lr: c.lr, betas: c.betas, weightDecay: c.weightDecay });
    case 'rmsprop':
      return new RMSprop(params, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
  }
}

/** A scheduler and when it steps: after each batch (OneCycleLR), each epoch, or each epoch on the validation loss. */
export type Schedule =
  | {
      every: 'batch' | 'epoch';
      scheduler: { step(): void; getLastLr(): number[]; stateDict(): unknown; loadStateDict(s: never): void };
    }
  | { every: 'plateau'; scheduler: ReduceLROnPlateau }
  | null;

/** The scheduler a config names, bound to an optimizer. */
export function createSchedule(c: TrainConfig, optimizer: Optimizer, stepsPerEpoch: number): Schedule {
  const s = c.scheduler;
  switch (s.name) {
    case 'none':
      return null;
    case 'step':
      return { every: 'epoch', scheduler: new StepLR(optimizer, s) };
    case 'multistep':
      return { every: 'epoch', scheduler: new MultiStepLR(optimizer, s) };
    case 'exponential':
      return { every: 'epoch', scheduler: new ExponentialLR(optimizer, s) };
    case 'cosine':
      return { every: 'epoch', scheduler: new CosineAnnealingLR(optimizer, s) };
    case 'linear':
      return { every: 'epoch', scheduler: new LinearLR(optimizer, s) };
    case 'plateau':
      return { every: 'plateau', scheduler: new ReduceLROnPlateau(optimizer, s) };
    case 'onecycle':
      return {
        every: 'batch',
        scheduler: new OneCycleLR(optimizer, {
          maxLr: s.maxLr,
          pctStart: s.pctStart,
          epochs: c.epochs,
          stepsPerEpoch,
        }),
      };
  }
}
