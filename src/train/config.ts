/**
 * A training run's configuration as plain data (what the CLI parses, the page's form edits, a
 * checkpoint stores and the PyTorch exporter writes out): its one schema, its one set of defaults
 * (PyTorch's), its one validator, and the factories that turn it into objects. The CLI, the worker
 * and the checkpoint loader all go through `resolveConfig`, so a value one of them refuses is
 * refused by all, with the same words.
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

/** Every optimizer name, in the order the page and --help list them. */
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'adamw', 'sgd', 'rmsprop'];

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

/** A scheduler's name. */
export type SchedulerName = SchedulerConfig['name'];

/** Every scheduler name, in the order the page and --help list them. */
export const SCHEDULERS: readonly SchedulerName[] = [
  'none',
  'step',
  'multistep',
  'exponential',
  'cosine',
  'plateau',
  'linear',
  'onecycle',
];

/** Everything that decides how a run trains. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  /** SGD's and RMSprop's momentum (Adam's is its betas). */
  momentum: number;
  /** SGD's Nesterov momentum (needs momentum > 0). */
  nesterov: boolean;
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

/** The guide's recipe: Adam, lr 1e-3, batch 64, MNIST's normalisation; PyTorch's defaults elsewhere. */
export const DEFAULT_CONFIG: TrainConfig = {
  epochs: 3,
  batchSize: 64,
  lr: 1e-3,
  optimizer: 'adam',
  momentum: 0,
  nesterov: false,
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

/** Each optimizer's own defaults in torch.optim (AdamW decays by 0.01, RMSprop's lr is 0.01). */
export const OPTIMIZER_DEFAULTS: Record<OptimizerName, { lr: number; weightDecay: number }> = {
  sgd: { lr: 1e-3, weightDecay: 0 },
  adam: { lr: 1e-3, weightDecay: 0 },
  adamw: { lr: 1e-3, weightDecay: 1e-2 },
  rmsprop: { lr: 1e-2, weightDecay: 0 },
};

/**
 * A scheduler with PyTorch's defaults, and for the arguments PyTorch requires, values that fit a
 * run of `c.epochs` epochs at `c.lr`: StepLR every epoch, MultiStepLR at half way, ExponentialLR
 * 0.9, CosineAnnealingLR over the run, OneCycleLR peaking at 10x the learning rate.
 */
export function defaultScheduler(
  name: SchedulerName,
  c: Pick<TrainConfig, 'epochs' | 'lr'> = DEFAULT_CONFIG,
): SchedulerConfig {
  switch (name) {
    case 'none':
      return { name };
    case 'step':
      return { name, stepSize: 1, gamma: 0.1 };
    case 'multistep':
      return { name, milestones: [Math.max(1, Math.floor(c.epochs / 2))], gamma: 0.1 };
    case 'exponential':
      return { name, gamma: 0.9 };
    case 'cosine':
      return { name, tMax: c.epochs, etaMin: 0 };
    case 'plateau':
      return { name, mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, cooldown: 0, minLr: 0 };
    case 'linear':
      return { name, startFactor: 1 / 3, endFactor: 1, totalIters: 5 };
    case 'onecycle':
      return { name, maxLr: c.lr * 10, pctStart: 0.3 };
  }
}

/** One thing wrong with a config: the field's path ('lr', 'scheduler.gamma') and a sentence. */
export interface ConfigProblem {
  field: string;
  message: string;
}

/** A config that cannot train; nothing was done. `problems` lists every reason. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly kind = 'config';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What the data says about a config, where it is known: the size of the training set. */
export interface DataFacts {
  trainSize: number;
  hasTestSet: boolean;
}

/**
 * Every problem with `c`, in the schema's order. With `data`, also the ones that depend on the
 * dataset (a validation split that leaves nothing to train on, no set to validate on).
 */
export function configProblems(c: TrainConfig, data?: DataFacts): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const need = (ok: boolean, field: string, message: string) => {
    if (!ok) out.push({ field, message });
  };
  const got = (v: unknown) =>
    `got ${typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v)}`;
  const count = (field: keyof TrainConfig, what: string, min = 1) =>
    need(
      isInt(c[field]) && (c[field] as number) >= min,
      field,
      `${what} must be a whole number >= ${min}, ${got(c[field])}`,
    );
  count('epochs', 'epochs');
  count('batchSize', 'batch size');
  need(isNum(c.lr) && c.lr > 0, 'lr', `the learning rate must be a finite number > 0, ${got(c.lr)}`);
  need(
    OPTIMIZERS.includes(c.optimizer),
    'optimizer',
    `optimizer must be one of ${OPTIMIZERS.join(', ')}, ${got(c.optimizer)}`,
  );
  need(
    isNum(c.momentum) && c.momentum >= 0,
    'momentum',
    `momentum must be a finite number >= 0, ${got(c.momentum)}`,
  );
  const usesMomentum = c.optimizer === 'sgd' || c.optimizer === 'rmsprop';
  need(
    usesMomentum || c.momentum === 0,
    'momentum',
    `momentum applies to sgd and rmsprop; ${c.optimizer} has none (its betas play that part)`,
  );
  need(typeof c.nesterov === 'boolean', 'nesterov', `nesterov must be true or false, ${got(c.nesterov)}`);
  if (c.nesterov) {
    need(c.optimizer === 'sgd', 'nesterov', `Nesterov momentum is SGD's; ${c.optimizer} has none`);
    need(!(c.momentum <= 0), 'nesterov', 'Nesterov momentum needs a momentum > 0');
  }
  need(
    isNum(c.weightDecay) && c.weightDecay >= 0,
    'weightDecay',
    `weight decay must be a finite number >= 0, ${got(c.weightDecay)}`,
  );
  need(
    Array.isArray(c.betas) && c.betas.length === 2 && c.betas.every((b) => isNum(b) && b >= 0 && b < 1),
    'betas',
    `betas must be two numbers in [0, 1), ${got(c.betas)}`,
  );
  need(
    isInt(c.seed) && c.seed >= 0,
    'seed',
    `the seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, ${got(c.seed)}`,
  );
  need(typeof c.shuffle === 'boolean', 'shuffle', `shuffle must be true or false, ${got(c.shuffle)}`);
  out.push(...schedulerProblems(c));
  need(
    c.clipNorm === null || (isNum(c.clipNorm) && c.clipNorm > 0),
    'clipNorm',
    `the gradient norm clip must be a finite number > 0, ${got(c.clipNorm)}`,
  );
  need(
    c.clipValue === null || (isNum(c.clipValue) && c.clipValue > 0),
    'clipValue',
    `the gradient value clip must be a finite number > 0, ${got(c.clipValue)}`,
  );
  need(
    isNum(c.labelSmoothing) && c.labelSmoothing >= 0 && c.labelSmoothing <= 1,
    'labelSmoothing',
    `label smoothing must lie in [0, 1], ${got(c.labelSmoothing)}`,
  );
  need(
    c.limit === null || (isInt(c.limit) && c.limit >= 1),
    'limit',
    `the training-sample limit must be a whole number >= 1, ${got(c.limit)}`,
  );
  count('valSplit', 'the validation split', 0);
  count('logEvery', 'log every', 1);
  need(isNum(c.mean), 'mean', `the normalisation mean must be a finite number, ${got(c.mean)}`);
  need(isNum(c.std) && c.std > 0, 'std', `the normalisation std must be a finite number > 0, ${got(c.std)}`);
  if (data && isInt(c.valSplit)) {
    need(
      c.valSplit < data.trainSize,
      'valSplit',
      `the validation split (${c.valSplit}) leaves no training samples: the training set has ${data.trainSize}`,
    );
    need(
      c.valSplit > 0 || data.hasTestSet,
      'valSplit',
      'this dataset has no test set: hold out part of the training set for validation (a validation split > 0)',
    );
  }
  return out;
}

function schedulerProblems(c: TrainConfig): ConfigProblem[] {
  const s = c.scheduler as SchedulerConfig & Record<string, unknown>;
  if (typeof s !== 'object' || s === null || !SCHEDULERS.includes(s.name)) {
    return [{ field: 'scheduler', message: `scheduler must be one of ${SCHEDULERS.join(', ')}` }];
  }
  const out: ConfigProblem[] = [];
  const expected = Object.keys(defaultScheduler(s.name));
  for (const k of Object.keys(s)) {
    if (!expected.includes(k))
      out.push({ field: `scheduler.${k}`, message: `${s.name} has no parameter ${k}` });
  }
  const rule = (k: string, ok: (v: number) => boolean, what: string) => {
    const v = s[k];
    if (!(isNum(v) && ok(v)))
      out.push({
        field: `scheduler.${k}`,
        message: `${s.name}'s ${k} must be ${what}, got ${JSON.stringify(v)}`,
      });
  };
  const positive = (v: number) => v > 0;
  const whole = (min: number) => (v: number) => Number.isInteger(v) && v >= min;
  switch (s.name) {
    case 'none':
      break;
    case 'step':
      rule('stepSize', whole(1), 'a whole number >= 1');
      rule('gamma', positive, 'a number > 0');
      break;
    case 'multistep':
      if (
        !(
          Array.isArray(s.milestones) &&
          s.milestones.every(whole(1)) &&
          s.milestones.every((m, i) => i === 0 || m > s.milestones[i - 1])
        )
      ) {
        out.push({
          field: 'scheduler.milestones',
          message: 'multistep milestones must be increasing whole epochs >= 1',
        });
      }
      rule('gamma', positive, 'a number > 0');
      break;
    case 'exponential':
      rule('gamma', positive, 'a number > 0');
      break;
    case 'cosine':
      rule('tMax', whole(1), 'a whole number of epochs >= 1');
      rule('etaMin', (v) => v >= 0, 'a number >= 0');
      break;
    case 'plateau':
      if (s.mode !== 'min' && s.mode !== 'max')
        out.push({ field: 'scheduler.mode', message: "plateau's mode must be min or max" });
      rule('factor', (v) => v > 0 && v < 1, 'a number in (0, 1)');
      rule('patience', whole(0), 'a whole number >= 0');
      rule('threshold', (v) => v >= 0, 'a number >= 0');
      rule('cooldown', whole(0), 'a whole number >= 0');
      rule('minLr', (v) => v >= 0, 'a number >= 0');
      break;
    case 'linear':
      rule('startFactor', (v) => v > 0 && v <= 1, 'a number in (0, 1]');
      rule('endFactor', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
      rule('totalIters', whole(1), 'a whole number >= 1');
      break;
    case 'onecycle':
      rule('maxLr', positive, 'a number > 0');
      rule('pctStart', (v) => v > 0 && v < 1, 'a number in (0, 1)');
      break;
  }
  return out;
}

/** Throws one ConfigError listing every problem with `c` (see configProblems); returns c. */
export function checkConfig(c: TrainConfig, data?: DataFacts): TrainConfig {
  const problems = configProblems(c, data);
  if (problems.length) throw new ConfigError(problems);
  return c;
}

/**
 * A config from untrusted JSON (a checkpoint's metadata, a message from the page): fields absent
 * from an older file take their defaults, unknown fields are refused, and the result is checked.
 */
export function resolveConfig(raw: unknown): TrainConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([{ field: '', message: 'the config is not a JSON object' }]);
  }
  const unknown = Object.keys(raw).filter((k) => !(k in DEFAULT_CONFIG));
  if (unknown.length) {
    throw new ConfigError(unknown.map((k) => ({ field: k, message: `unknown setting ${k}` })));
  }
  return checkConfig({ ...DEFAULT_CONFIG, ...(raw as Partial<TrainConfig>) });
}

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
