/**
 * The objects a config names: its optimizer and its learning-rate schedule, built on the engine's
 * torch.optim counterparts. Kept apart from config.ts (the schema, which the page reads) so that
 * reading a config never loads the optimizers.
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
import type { TrainConfig } from './config';

/** The optimizer a config names. */
export function createOptimizer(c: TrainConfig, params: Parameter[]): Optimizer {
  switch (c.optimizer) {
    case 'sgd':
      return new SGD(params, {
        lr: c.lr,
        momentum: c.momentum,
        nesterov: c.nesterov,
        weightDecay: c.weightDecay,
      });
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
