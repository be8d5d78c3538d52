/**
 * A training run's configuration as plain data (what the CLI parses, the page's form edits, a
 * checkpoint stores and the PyTorch exporter writes out): its one schema, the settings table that
 * declares every field once (its flag, label, help, default, kind and range, and whether a resumed
 * run may change it), and its one validator. The CLI's flags and --help, the page's form and the
 * run record are views of the table; the CLI, the worker and the checkpoint loader all go through
 * `resolveConfig`/`checkConfig`, so a value one of them refuses is refused by all, with the same
 * words. Pure data and checks: the page reads this file, so it imports nothing of the engine (the
 * optimizers and schedulers a config names are built in factories.ts).
 */

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
  | { name: 'onecycle'; maxLr: number; pctStart: number }
  | { name: 'warmup_cosine'; warmupSteps: number; decaySteps: number; minLr: number };

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
  'warmup_cosine',
];

/** Every scheduler parameter's name, across the schedulers. */
export type SchedulerParamKey = Exclude<
  SchedulerConfig extends infer S ? (S extends unknown ? keyof S : never) : never,
  'name'
>;

/** Everything that decides how a run trains. */
export interface TrainConfig {
  epochs: number;
  /** Optimizer steps in all, for a run measured in steps (text); null for one measured in epochs. */
  steps: number | null;
  /** A run in steps validates (and checkpoints) every N steps and at its end. */
  evalEvery: number;
  batchSize: number;
  /** Characters per training window of a text run (a GPT's context length). */
  blockSize: number;
  lr: number;
  optimizer: OptimizerName;
  /** SGD's and RMSprop's momentum (Adam's is its betas). */
  momentum: number;
  /** SGD's Nesterov momentum (needs momentum > 0). */
  nesterov: boolean;
  weightDecay: number;
  /** Weight decay on weight matrices only, none on biases, norms and embeddings (nanoGPT's groups). */
  decayMatricesOnly: boolean;
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
  /**
   * Image normalisation, torchvision's Normalize(mean, std) on pixels in [0, 1]; null computes it
   * on the run's training split (MNIST's comes out as 0.1307 and 0.3081). A table standardises each
   * feature with its own instead, so a new table run takes neither.
   */
  mean: number | null;
  std: number | null;
}

/**
 * MNIST's normalisation as the PyTorch examples give it (what pixelStats computes on its 60,000
 * training images, rounded): the guess for a model whose file says nothing of its normalisation,
 * and what every setup held before the normalisation could be set or computed.
 */
export const MNIST_NORMALIZATION = { mean: 0.1307, std: 0.3081 } as const;

/** Each optimizer's own defaults in torch.optim (AdamW decays by 0.01, RMSprop's lr is 0.01). */
export const OPTIMIZER_DEFAULTS: Record<OptimizerName, { lr: number; weightDecay: number }> = {
  sgd: { lr: 1e-3, weightDecay: 0 },
  adam: { lr: 1e-3, weightDecay: 0 },
  adamw: { lr: 1e-3, weightDecay: 1e-2 },
  rmsprop: { lr: 1e-2, weightDecay: 0 },
};

/** The guide's optimizer: the one every other default is fitted to. */
const DEFAULT_OPTIMIZER: OptimizerName = 'adam';

/** Bounds on a number; an open end excludes its bound. */
export interface Range {
  min?: number;
  minOpen?: boolean;
  max?: number;
  maxOpen?: boolean;
}

/** What a setting holds, and the values it accepts. */
export type SettingKind =
  | ({ type: 'integer'; min: number } & Pick<Range, 'max'>)
  | ({ type: 'number' } & Range)
  | { type: 'boolean' }
  /** One of `choices`, shown by the page under `labels`. */
  | { type: 'choice'; choices: readonly string[]; labels: Readonly<Record<string, string>> }
  /** Two numbers in a range (Adam's betas), each with its own field in the form. */
  | ({ type: 'pair'; itemLabels: readonly [string, string] } & Range)
  /** A list of increasing whole numbers >= 1 (MultiStepLR's milestones). */
  | { type: 'milestones' };

/** What every setting declares, in the settings table and in the scheduler's. */
export interface SettingBase {
  /** The CLI's flag, without its dashes; none where the CLI cannot set it. */
  flag?: string;
  /** The page's label: the form's field and the run record's row. */
  label: string;
  /** What the label counts, shown after it ("Log every (steps)"). */
  unit?: string;
  /** One line for --help and the form's tooltip. */
  help: string;
  kind: SettingKind;
}

/** One field of TrainConfig, declared once. */
export interface Setting<V> extends SettingBase {
  /** The field as the validator's sentences name it ("the learning rate must be ..."). */
  noun: string;
  /** A new run's value: PyTorch's default where it has one, else the guide's recipe. */
  default: V;
  /** Where the default is the optimizer's own (OPTIMIZER_DEFAULTS), --help says so. */
  byOptimizer?: true;
  /** What null means, where the field may be null ("off", "all"): the form's empty text. */
  off?: string;
  /** A boolean whose flag turns it off (--no-shuffle). */
  negated?: true;
  /** Decides how a run trains from its start: a resumed run keeps its checkpoint's. */
  newRunOnly: boolean;
  /**
   * A text run's default where it differs from `default`: nanoGPT's shakespeare_char recipe
   * (AdamW with decay 0.1 on matrices only, betas 0.9/0.99, warmup and cosine decay, clipping at 1).
   */
  textDefault?: V;
  /** The scheduler's kind: its name is a choice, its parameters are SCHEDULER_PARAMS. */
  scheduler?: true;
  /**
   * Belongs to the dataset rather than the recipe (its validation split, its normalisation): the
   * page keeps one value per dataset, so switching datasets never carries one's over to another.
   */
  perDataset?: true;
  /**
   * The kind of data the setting applies to, where it is not all: a text run counts steps and
   * windows, a run on samples epochs and a limit, and only images take a normalisation. The
   * form and the run record leave the others out.
   */
  appliesTo?: DataKind | 'samples';
}

/** What a run trains on: images, a table of features, or text (token ids). */
export type DataKind = 'images' | 'table' | 'text';

/** Whether `setting` applies to a run on `kind` of data. */
export function settingApplies(setting: Pick<Setting<unknown>, 'appliesTo'>, kind: DataKind): boolean {
  const to = setting.appliesTo;
  return to === undefined || to === kind || (to === 'samples' && kind !== 'text');
}

/** The settings table: every TrainConfig field, in the schema's order (the record's, the validator's). */
export const SETTINGS: { readonly [K in keyof TrainConfig]: Setting<TrainConfig[K]> } = {
  epochs: {
    flag: 'epochs',
    label: 'Epochs',
    noun: 'epochs',
    help: 'epochs in all (with --resume, the run goes on to this many)',
    kind: { type: 'integer', min: 1 },
    default: 3,
    newRunOnly: false,
    appliesTo: 'samples',
  },
  steps: {
    flag: 'steps',
    label: 'Steps',
    noun: 'steps',
    help: "optimizer steps in all, for a text run (nanoGPT's max_iters); with --resume, the run goes on to this many",
    kind: { type: 'integer', min: 1 },
    default: null,
    off: 'epochs',
    textDefault: 2000,
    newRunOnly: false,
    appliesTo: 'text',
  },
  evalEvery: {
    flag: 'eval-every',
    label: 'Evaluate every',
    unit: 'steps',
    noun: 'eval every',
    help: 'a text run validates on the whole validation text (and checkpoints) every N steps and at its end',
    kind: { type: 'integer', min: 1 },
    default: 250,
    newRunOnly: true,
    appliesTo: 'text',
  },
  batchSize: {
    flag: 'batch-size',
    label: 'Batch size',
    noun: 'batch size',
    help: "the DataLoader's batch_size",
    kind: { type: 'integer', min: 1 },
    default: 64,
    newRunOnly: true,
  },
  blockSize: {
    flag: 'block-size',
    label: 'Block size',
    unit: 'characters',
    noun: 'the block size',
    help: "a text run's window: characters of context (a GPT's block_size, an MLP's n)",
    kind: { type: 'integer', min: 1, max: 4096 },
    default: 64,
    newRunOnly: true,
    appliesTo: 'text',
  },
  lr: {
    flag: 'lr',
    label: 'Learning rate',
    noun: 'the learning rate',
    help: 'learning rate',
    kind: { type: 'number', min: 0, minOpen: true },
    default: OPTIMIZER_DEFAULTS[DEFAULT_OPTIMIZER].lr,
    byOptimizer: true,
    newRunOnly: true,
  },
  optimizer: {
    flag: 'optimizer',
    label: 'Optimizer',
    noun: 'optimizer',
    help: 'torch.optim class',
    kind: {
      type: 'choice',
      choices: OPTIMIZERS,
      labels: { adam: 'Adam', adamw: 'AdamW', sgd: 'SGD', rmsprop: 'RMSprop' },
    },
    default: DEFAULT_OPTIMIZER,
    textDefault: 'adamw',
    newRunOnly: true,
  },
  momentum: {
    flag: 'momentum',
    label: 'Momentum',
    noun: 'momentum',
    help: 'momentum of sgd and rmsprop',
    kind: { type: 'number', min: 0 },
    default: 0,
    newRunOnly: true,
  },
  nesterov: {
    flag: 'nesterov',
    label: 'Nesterov',
    noun: 'nesterov',
    help: "PyTorch's nesterov (sgd): needs a momentum above 0",
    kind: { type: 'boolean' },
    default: false,
    newRunOnly: true,
  },
  weightDecay: {
    flag: 'weight-decay',
    label: 'Weight decay',
    noun: 'weight decay',
    help: 'weight decay (L2; decoupled for adamw)',
    kind: { type: 'number', min: 0 },
    default: OPTIMIZER_DEFAULTS[DEFAULT_OPTIMIZER].weightDecay,
    textDefault: 0.1,
    byOptimizer: true,
    newRunOnly: true,
  },
  decayMatricesOnly: {
    flag: 'decay-matrices-only',
    label: 'Decay matrices only',
    noun: 'decay matrices only',
    help: "weight decay on weight matrices only: none on biases, norms and embeddings (nanoGPT's param groups)",
    kind: { type: 'boolean' },
    default: false,
    textDefault: true,
    newRunOnly: true,
  },
  betas: {
    flag: 'betas',
    label: 'Betas',
    noun: 'betas',
    help: "adam's and adamw's betas, as B1,B2",
    kind: { type: 'pair', itemLabels: ['Beta 1', 'Beta 2'], min: 0, max: 1, maxOpen: true },
    default: [0.9, 0.999],
    textDefault: [0.9, 0.99],
    newRunOnly: true,
  },
  seed: {
    flag: 'seed',
    label: 'Seed',
    noun: 'the seed',
    help: 'seeds the initial weights, the shuffling, dropout and the validation split',
    kind: { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
    default: 0,
    newRunOnly: true,
  },
  shuffle: {
    flag: 'no-shuffle',
    label: 'Shuffle',
    noun: 'shuffle',
    help: 'keep the training samples in their order (shuffle=False)',
    kind: { type: 'boolean' },
    default: true,
    negated: true,
    newRunOnly: true,
  },
  scheduler: {
    flag: 'scheduler',
    label: 'LR scheduler',
    noun: 'scheduler',
    help: 'torch.optim.lr_scheduler class, with the parameters below',
    kind: {
      type: 'choice',
      choices: SCHEDULERS,
      labels: {
        none: 'None (constant)',
        step: 'StepLR',
        multistep: 'MultiStepLR',
        exponential: 'ExponentialLR',
        cosine: 'CosineAnnealingLR',
        plateau: 'ReduceLROnPlateau',
        linear: 'LinearLR',
        onecycle: 'OneCycleLR',
        warmup_cosine: 'Warmup + cosine (LambdaLR)',
      },
    },
    default: { name: 'none' },
    textDefault: { name: 'warmup_cosine' } as SchedulerConfig,
    scheduler: true,
    newRunOnly: true,
  },
  clipNorm: {
    flag: 'clip-norm',
    label: 'Clip grad norm',
    noun: 'the gradient norm clip',
    help: "clip_grad_norm_'s max_norm",
    kind: { type: 'number', min: 0, minOpen: true },
    default: null,
    textDefault: 1,
    off: 'off',
    newRunOnly: true,
  },
  clipValue: {
    flag: 'clip-value',
    label: 'Clip grad value',
    noun: 'the gradient value clip',
    help: "clip_grad_value_'s clip_value",
    kind: { type: 'number', min: 0, minOpen: true },
    default: null,
    off: 'off',
    newRunOnly: true,
  },
  labelSmoothing: {
    flag: 'label-smoothing',
    label: 'Label smoothing',
    noun: 'label smoothing',
    help: "CrossEntropyLoss's label_smoothing",
    kind: { type: 'number', min: 0, max: 1 },
    default: 0,
    newRunOnly: true,
  },
  limit: {
    flag: 'limit',
    label: 'Limit training samples',
    noun: 'the training-sample limit',
    help: 'train on the first N training samples only',
    kind: { type: 'integer', min: 1 },
    default: null,
    off: 'all',
    newRunOnly: true,
    perDataset: true,
    appliesTo: 'samples',
  },
  valSplit: {
    flag: 'val-split',
    label: 'Validation split',
    unit: 'samples',
    noun: 'the validation split',
    help: 'hold out N training samples (seeded) for validation; 0 validates on the test set',
    kind: { type: 'integer', min: 0 },
    default: 0,
    newRunOnly: true,
    perDataset: true,
  },
  logEvery: {
    flag: 'log-every',
    label: 'Log every',
    unit: 'steps',
    noun: 'log every',
    help: 'read the training loss back every N steps',
    kind: { type: 'integer', min: 1 },
    default: 50,
    newRunOnly: true,
  },
  mean: {
    flag: 'mean',
    label: 'Normalisation mean',
    noun: 'the normalisation mean',
    help: "images: Normalize's mean of the pixels in [0, 1]",
    kind: { type: 'number' },
    default: null,
    off: 'computed on the training split',
    newRunOnly: true,
    perDataset: true,
    appliesTo: 'images',
  },
  std: {
    flag: 'std',
    label: 'Normalisation std',
    noun: 'the normalisation std',
    help: "images: Normalize's std of the pixels in [0, 1]",
    kind: { type: 'number', min: 0, minOpen: true },
    default: null,
    off: 'computed on the training split',
    newRunOnly: true,
    perDataset: true,
    appliesTo: 'images',
  },
};

/**
 * Every scheduler parameter, declared once. Its default is defaultScheduler's, since some depend on
 * the run (a cosine schedule spans its epochs); the flags with none are set only from the page.
 */
export const SCHEDULER_PARAMS: { readonly [K in SchedulerParamKey]: SettingBase } = {
  stepSize: {
    flag: 'step-size',
    label: 'step_size',
    unit: 'epochs',
    help: 'epochs between decays',
    kind: { type: 'integer', min: 1 },
  },
  gamma: {
    flag: 'gamma',
    label: 'gamma',
    help: 'factor of each decay',
    kind: { type: 'number', min: 0, minOpen: true },
  },
  milestones: {
    flag: 'milestones',
    label: 'milestones',
    unit: 'epochs',
    help: 'the epochs at which to decay, as 2,4',
    kind: { type: 'milestones' },
  },
  tMax: {
    flag: 't-max',
    label: 'T_max',
    unit: 'epochs',
    help: 'epochs of one cosine half-period',
    kind: { type: 'integer', min: 1 },
  },
  etaMin: {
    flag: 'eta-min',
    label: 'eta_min',
    help: 'the lowest learning rate',
    kind: { type: 'number', min: 0 },
  },
  mode: {
    label: 'mode',
    help: 'min for a loss, max for an accuracy',
    kind: { type: 'choice', choices: ['min', 'max'], labels: { min: 'min', max: 'max' } },
  },
  factor: {
    flag: 'factor',
    label: 'factor',
    help: 'factor of each decay on a plateau',
    kind: { type: 'number', min: 0, minOpen: true, max: 1, maxOpen: true },
  },
  patience: {
    flag: 'patience',
    label: 'patience',
    help: 'epochs without improvement before a decay',
    kind: { type: 'integer', min: 0 },
  },
  threshold: { label: 'threshold', help: 'the least change that counts', kind: { type: 'number', min: 0 } },
  cooldown: { label: 'cooldown', help: 'epochs to wait after a decay', kind: { type: 'integer', min: 0 } },
  minLr: {
    flag: 'min-lr',
    label: 'min_lr',
    help: 'the lowest learning rate',
    kind: { type: 'number', min: 0 },
  },
  startFactor: {
    flag: 'start-factor',
    label: 'start_factor',
    help: 'the first factor of the learning rate',
    kind: { type: 'number', min: 0, minOpen: true, max: 1 },
  },
  endFactor: { label: 'end_factor', help: 'the last factor', kind: { type: 'number', min: 0, max: 1 } },
  totalIters: {
    flag: 'total-iters',
    label: 'total_iters',
    help: 'epochs from the first factor to the last',
    kind: { type: 'integer', min: 1 },
  },
  maxLr: {
    flag: 'max-lr',
    label: 'max_lr',
    help: 'the peak learning rate',
    kind: { type: 'number', min: 0, minOpen: true },
  },
  pctStart: {
    flag: 'pct-start',
    label: 'pct_start',
    help: 'the fraction of the run spent rising',
    kind: { type: 'number', min: 0, minOpen: true, max: 1, maxOpen: true },
  },
  warmupSteps: {
    flag: 'warmup-steps',
    label: 'warmup_iters',
    unit: 'steps',
    help: 'steps of linear warmup from 0 to the learning rate',
    kind: { type: 'integer', min: 0 },
  },
  decaySteps: {
    flag: 'decay-steps',
    label: 'lr_decay_iters',
    unit: 'steps',
    help: 'the step where the cosine reaches min_lr (and stays)',
    kind: { type: 'integer', min: 1 },
  },
};

/** The guide's recipe: Adam, lr 1e-3, batch 64, normalisation computed on the data; PyTorch's defaults elsewhere. */
export const DEFAULT_CONFIG: TrainConfig = Object.fromEntries(
  Object.entries(SETTINGS).map(([field, s]) => [field, s.default]),
) as unknown as TrainConfig;

/**
 * A text run's defaults: nanoGPT's shakespeare_char recipe where the table gives one (textDefault),
 * the image defaults elsewhere, its warmup and cosine fitted to its steps.
 */
export const DEFAULT_TEXT_CONFIG: TrainConfig = (() => {
  const c = Object.fromEntries(
    Object.entries(SETTINGS).map(([field, s]) => [field, s.textDefault ?? s.default]),
  ) as unknown as TrainConfig;
  return { ...c, scheduler: defaultScheduler(c.scheduler.name, c) };
})();

/** The settings each dataset keeps its own value of (see Setting.perDataset), in the table's order. */
export const PER_DATASET_SETTINGS = (Object.keys(SETTINGS) as (keyof TrainConfig)[]).filter(
  (k) => SETTINGS[k].perDataset,
);

/** A setting's label as the page shows it, its unit after it: "Log every (steps)". */
export function labelOf(s: SettingBase): string {
  return s.unit ? `${s.label} (${s.unit})` : s.label;
}

/** A choice setting's values, each with the page's name for it, in the table's order. */
export function choicesOf(s: SettingBase): [value: string, label: string][] {
  const k = s.kind;
  return k.type === 'choice' ? k.choices.map((c) => [c, k.labels[c]]) : [];
}

/**
 * A scheduler with PyTorch's defaults, and for the arguments PyTorch requires, values that fit a
 * run of `c.epochs` epochs at `c.lr`: StepLR every epoch, MultiStepLR at half way, ExponentialLR
 * 0.9, CosineAnnealingLR over the run, OneCycleLR peaking at 10x the learning rate.
 */
export function defaultScheduler(
  name: SchedulerName,
  c: Pick<TrainConfig, 'epochs' | 'lr'> & Partial<Pick<TrainConfig, 'steps'>> = DEFAULT_CONFIG,
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
    case 'warmup_cosine': {
      // nanoGPT's shakespeare_char: 100 warmup steps (a tenth of a shorter run), decay over the
      // whole run to a tenth of the learning rate.
      const steps = c.steps ?? 5000;
      return {
        name,
        warmupSteps: Math.min(100, Math.floor(steps / 10)),
        decaySteps: steps,
        minLr: c.lr / 10,
      };
    }
  }
}

/** The parameters of a scheduler, in its own order (the form's, the record's). */
export function schedulerParams(name: SchedulerName): SchedulerParamKey[] {
  return Object.keys(defaultScheduler(name)).filter((k) => k !== 'name') as SchedulerParamKey[];
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

/** What the data say about a config, where they are known: the size of the training set. */
export interface DataFacts {
  trainSize: number;
  hasTestSet: boolean;
}

const interval = (r: Range) => `${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;

const inRange = (v: number, r: Range) =>
  (r.min === undefined || (r.minOpen ? v > r.min : v >= r.min)) &&
  (r.max === undefined || (r.maxOpen ? v < r.max : v <= r.max));

/** Whether `v` is a value of `kind`; a choice's own list is checked by its caller's words. */
function fits(kind: SettingKind, v: unknown): boolean {
  switch (kind.type) {
    case 'integer':
      return isInt(v) && inRange(v, kind);
    case 'number':
      return isNum(v) && inRange(v, kind);
    case 'boolean':
      return typeof v === 'boolean';
    case 'choice':
      return kind.choices.includes(v as string);
    case 'pair':
      return Array.isArray(v) && v.length === 2 && v.every((x) => isNum(x) && inRange(x, kind));
    case 'milestones':
      return (
        Array.isArray(v) &&
        v.every((m) => Number.isInteger(m) && m >= 1) &&
        v.every((m, i) => i === 0 || m > v[i - 1])
      );
  }
}

/** What a top-level setting must be, as its refusal says it ("a finite number > 0"). */
function mustBe(kind: SettingKind): string {
  switch (kind.type) {
    case 'integer':
      return kind.max === undefined
        ? `be a whole number >= ${kind.min}`
        : `be a whole number from ${kind.min} to ${kind.max}`;
    case 'number':
      if (kind.min !== undefined && kind.max !== undefined) return `lie in ${interval(kind)}`;
      return kind.min === undefined
        ? 'be a finite number'
        : `be a finite number ${kind.minOpen ? '>' : '>='} ${kind.min}`;
    case 'boolean':
      return 'be true or false';
    case 'choice':
      return `be one of ${kind.choices.join(', ')}`;
    case 'pair':
      return `be two numbers in ${interval(kind)}`;
    case 'milestones':
      return 'be increasing whole epochs >= 1';
  }
}

/** What a scheduler parameter must be, in the scheduler's sentences ("a number in (0, 1)"). */
function paramMustBe(p: SettingBase): string {
  const k = p.kind;
  if (k.type === 'integer') return `a whole number${p.unit ? ` of ${p.unit}` : ''} >= ${k.min}`;
  if (k.type === 'choice') return k.choices.join(' or ');
  if (k.type !== 'number') return mustBe(k).slice('be '.length);
  if (k.min !== undefined && k.max !== undefined) return `a number in ${interval(k)}`;
  return `a number ${k.minOpen ? '>' : '>='} ${k.min}`;
}

/** The rules between fields, checked right after the field they are filed under. */
const CROSS_RULES: Partial<Record<keyof TrainConfig, (c: TrainConfig) => string[]>> = {
  momentum: (c) =>
    c.optimizer === 'sgd' || c.optimizer === 'rmsprop' || c.momentum === 0
      ? []
      : [`momentum applies to sgd and rmsprop; ${c.optimizer} has none (its betas play that part)`],
  nesterov: (c) =>
    c.nesterov === true
      ? [
          ...(c.optimizer === 'sgd' ? [] : [`Nesterov momentum is SGD's; ${c.optimizer} has none`]),
          ...(c.momentum <= 0 ? ['Nesterov momentum needs a momentum > 0'] : []),
        ]
      : [],
};

/**
 * Every problem with `c`, in the schema's order. With `data`, also the ones that depend on the
 * dataset (a validation split that leaves nothing to train on, no set to validate on).
 */
export function configProblems(c: TrainConfig, data?: DataFacts): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const got = (v: unknown) =>
    `got ${typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v)}`;
  for (const [field, s] of Object.entries(SETTINGS) as [keyof TrainConfig, Setting<unknown>][]) {
    const v = c[field];
    if (s.scheduler) out.push(...schedulerProblems(c));
    else if (!((v === null && s.off !== undefined) || fits(s.kind, v))) {
      out.push({ field, message: `${s.noun} must ${mustBe(s.kind)}, ${got(v)}` });
    }
    for (const message of CROSS_RULES[field]?.(c) ?? []) out.push({ field, message });
  }
  if (data && isInt(c.valSplit)) {
    if (c.valSplit >= data.trainSize) {
      out.push({
        field: 'valSplit',
        message: `the validation split (${c.valSplit}) leaves no training samples: the training set has ${data.trainSize}`,
      });
    }
    if (!(c.valSplit > 0 || data.hasTestSet)) {
      out.push({
        field: 'valSplit',
        message:
          'this dataset has no test set: hold out part of the training set for validation (a validation split > 0)',
      });
    }
  }
  return out;
}

function schedulerProblems(c: TrainConfig): ConfigProblem[] {
  const s = c.scheduler as SchedulerConfig & Record<string, unknown>;
  if (typeof s !== 'object' || s === null || !SCHEDULERS.includes(s.name)) {
    return [{ field: 'scheduler', message: `scheduler must be one of ${SCHEDULERS.join(', ')}` }];
  }
  const out: ConfigProblem[] = [];
  const expected = schedulerParams(s.name);
  for (const k of Object.keys(s)) {
    if (k !== 'name' && !expected.includes(k as SchedulerParamKey))
      out.push({ field: `scheduler.${k}`, message: `${s.name} has no parameter ${k}` });
  }
  for (const k of expected) {
    const p = SCHEDULER_PARAMS[k];
    if (fits(p.kind, s[k])) continue;
    // A milestone list is judged whole: its values are not one number to quote back.
    const message =
      p.kind.type === 'milestones'
        ? `${s.name} ${k} must be ${paramMustBe(p)}`
        : `${s.name}'s ${k} must be ${paramMustBe(p)}${p.kind.type === 'choice' ? '' : `, got ${JSON.stringify(s[k])}`}`;
    out.push({ field: `scheduler.${k}`, message });
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
