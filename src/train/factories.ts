/**
 * The objects a config names: its optimizer and its learning-rate schedule, built on the engine's
 * torch.optim counterparts. Kept apart from config.ts (the schema, which the page reads) so that
 * reading a config never loads the optimizers.
 */
import { Embedding, PositionalEmbedding } from '../nn/embedding';
import type { Module, Parameter } from '../nn/module';
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
  WarmupCosineLR,
} from '../optim';
import type { TrainConfig } from './config';

/**
 * nanoGPT's parameter groups: weight matrices (Linear's, attention's) decay by `weightDecay`;
 * biases, norm weights and the embeddings (token and position) do not. nanoGPT itself decays every
 * tensor of 2 or more dims, embeddings included; Kiln keeps them out, as the decay is meant to
 * shrink the mixing weights, not pull rarely-seen characters' vectors to 0. Empty groups are left
 * out, so a model without matrices has one group.
 */
export function decayGroups(
  model: Module,
  weightDecay: number,
): { params: Parameter[]; weightDecay: number }[] {
  const embeddings = new Set<Parameter>();
  const visit = (m: Module) => {
    if (m instanceof Embedding || m instanceof PositionalEmbedding) embeddings.add(m.weight);
    for (const [, child] of m.namedChildren()) visit(child);
  };
  visit(model);
  const params = model.parameters();
  const decay = params.filter((p) => p.shape.length >= 2 && !embeddings.has(p));
  const rest = params.filter((p) => !decay.includes(p));
  return [
    { params: decay, weightDecay },
    { params: rest, weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
}

/** The optimizer a config names, over the model's parameters (in nanoGPT's groups with decayMatricesOnly). */
export function createOptimizer(c: TrainConfig, model: Module): Optimizer {
  const params = c.decayMatricesOnly ? decayGroups(model, c.weightDecay) : model.parameters();
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
    case 'warmup_cosine':
      return { every: 'batch', scheduler: new WarmupCosineLR(optimizer, s) };
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
