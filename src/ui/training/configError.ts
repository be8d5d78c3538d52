/** Why a training config cannot start, in words for the Train button's hint (null when it can). */
import type { TrainConfig } from '../../worker/protocol';

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

/** The first problem with `c` for a training set of `trainSize` samples (when known), or null. */
export function configError(c: TrainConfig, trainSize?: number): string | null {
  if (!(c.lr > 0)) return 'learning rate must be a positive number';
  if (!positiveInt(c.batchSize)) return 'batch size must be a positive whole number';
  if (!positiveInt(c.epochs)) return 'epochs must be a positive whole number';
  if (!Number.isInteger(c.seed)) return 'seed must be a whole number';
  if (!(c.weightDecay >= 0)) return 'weight decay must be 0 or more';
  if (!(c.momentum >= 0)) return 'momentum must be 0 or more';
  if (!(c.betas[0] >= 0 && c.betas[0] < 1 && c.betas[1] >= 0 && c.betas[1] < 1))
    return 'betas must lie in [0, 1)';
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 1)) return 'label smoothing must lie in [0, 1)';
  if (c.limit !== null && !positiveInt(c.limit))
    return 'the training-sample limit must be a positive whole number';
  if (c.clipNorm !== null && !(c.clipNorm > 0)) return 'the gradient norm clip must be positive';
  if (c.clipValue !== null && !(c.clipValue > 0)) return 'the gradient value clip must be positive';
  if (!positiveInt(c.logEvery)) return 'log every must be a positive whole number';
  if (!(Number.isInteger(c.valSplit) && c.valSplit >= 0))
    return 'the validation split must be a whole number of samples';
  if (trainSize !== undefined && c.valSplit >= trainSize)
    return `the validation split (${c.valSplit}) leaves no training samples: the dataset has ${trainSize}`;
  for (const [k, v] of Object.entries(c.scheduler))
    if (typeof v === 'number' && !Number.isFinite(v)) return `scheduler ${k} must be a number`;
  return null;
}
