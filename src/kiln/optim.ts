/** `kiln/optim`: optimizers, learning-rate schedulers and gradient clipping, with PyTorch's names and defaults. *
 * @module kiln/optim
 */
export { Adam, type AdamOptions, AdamW } from '../optim/adam';
export { clipGradNorm_, clipGradValue_ } from '../optim/clip_grad';
export type {
  OneCycleLRConfig,
  OptimizerLike,
  ReduceLROnPlateauStateDict,
  SchedulerCounters,
} from '../optim/lr_scheduler';
export {
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
  ExponentialLR,
  type ExponentialLROptions,
  LinearLR,
  type LinearLROptions,
  LRScheduler,
  MultiStepLR,
  type MultiStepLROptions,
  OneCycleLR,
  type OneCycleLROptions,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type SchedulerStateDict,
  StepLR,
  type StepLROptions,
  WarmupCosineLR,
  type WarmupCosineLROptions,
} from '../optim/lr_scheduler';
export type { ParamState } from '../optim/optimizer';
export { Optimizer, type OptimizerStateDict, type ParamGroup } from '../optim/optimizer';
export { RMSprop, type RMSpropOptions } from '../optim/rmsprop';
export { SGD, type SGDOptions } from '../optim/sgd';
