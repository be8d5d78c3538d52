/**
 * Learning-rate schedulers with PyTorch's semantics (torch.optim.lr_scheduler): the same
 * constructor-time step, the same recursive ("chainable") update formulas, the same group keys.
 * They compute in float64 exactly as PyTorch's Python does, so sequences match to the last bits.
 */

/** One parameter group as a scheduler sees it: an lr plus whatever else the optimizer keeps. */
export interface ParamGroupLike {
  lr: number;
  [key: string]: unknown;
}

/** What a scheduler needs of an optimizer; Kiln's optimizers satisfy it. */
export interface OptimizerLike {
  paramGroups: ParamGroupLike[];
}

/** The counters every epoch-based scheduler saves, as PyTorch's last_epoch, base_lrs, _last_lr. */
export interface SchedulerCounters {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
}

/** A scheduler's state dict: its hyperparameters and counters, flat and JSON-safe like PyTorch's. */
export type SchedulerStateDict<C> = C & SchedulerCounters;

/** Reads a numeric group key that a scheduler wrote earlier, failing loudly if it is missing. */
function groupNumber(group: ParamGroupLike, key: string, index: number): number {
  const value = group[key];
  if (typeof value !== 'number') {
    throw new Error(`param group ${index} has no numeric '${key}' (was the scheduler's state loaded?)`);
  }
  return value;
}

/** Expands a scalar-or-per-group option, as PyTorch's _format_param does. */
function perGroup(name: string, optimizer: OptimizerLike, value: number | number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (!Array.isArray(value)) return new Array<number>(n).fill(value);
  if (value.length !== n) throw new Error(`expected ${n} values for ${name}, got ${value.length}`);
  return [...value];
}

/**
 * The base of epoch-driven schedulers (PyTorch's _LRScheduler). Construction records each group's
 * `initialLr` (kept if already present, as when resuming) and takes the first step, so lastEpoch is
 * 0 and the groups hold the schedule's first lr before any training step.
 */
export abstract class LRScheduler<C extends object> {
  /** The optimizer whose groups' lr this scheduler writes. */
  readonly optimizer: OptimizerLike;
  /** Index of the last step taken; 0 right after construction. */
  lastEpoch = -1;
  /** Each group's initialLr at construction. */
  baseLrs: number[];
  protected config: C;
  private lastLr: number[] = [];

  constructor(optimizer: OptimizerLike, config: C) {
    this.optimizer = optimizer;
    // Config is set here rather than as subclass fields so it exists when the first step runs.
    this.config = config;
    optimizer.paramGroups.forEach((group) => {
      if (group.initialLr === undefined) group.initialLr = group.lr;
    });
    this.baseLrs = optimizer.paramGroups.map((group, i) => groupNumber(group, 'initialLr', i));
    this.step();
  }

  /** The lr of each group for the current lastEpoch, computed from the groups' present lrs. */
  protected abstract getLr(): number[];

  /** Advances one epoch (or batch, for per-batch schedules) and writes the new lrs to the groups. */
  step(): void {
    this.lastEpoch += 1;
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = values[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The lrs the last step wrote, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Hyperparameters and counters, JSON-safe. */
  stateDict(): SchedulerStateDict<C> {
    return structuredClone({
      ...this.config,
      lastEpoch: this.lastEpoch,
      baseLrs: this.baseLrs,
      lastLr: this.lastLr,
    });
  }

  /** Restores what stateDict returned; the groups' lrs come back with the optimizer's own state. */
  loadStateDict(state: SchedulerStateDict<C>): void {
    const { lastEpoch, baseLrs, lastLr, ...config } = structuredClone(state);
    this.lastEpoch = lastEpoch;
    this.baseLrs = baseLrs;
    this.lastLr = lastLr;
    this.config = { ...this.config, ...config };
  }

  /** The groups' present lrs, the starting point of every chainable formula. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }
}

/** StepLR's hyperparameters. */
export interface StepLROptions {
  /** Period of decay in epochs. */
  stepSize: number;
  /** Multiplicative decay; default 0.1. */
  gamma?: number;
}

/** Multiplies each group's lr by gamma every stepSize epochs (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRScheduler<Required<StepLROptions>> {
  constructor(optimizer: OptimizerLike, { stepSize, gamma = 0.1 }: StepLROptions) {
    super(optimizer, { stepSize, gamma });
  }

  protected override getLr(): number[] {
    const { stepSize, gamma } = this.config;
    if (this.lastEpoch === 0 || this.lastEpoch % stepSize !== 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * gamma);
  }
}

/** MultiStepLR's hyperparameters. */
export interface MultiStepLROptions {
  /** Epochs at which to decay; a repeated milestone decays by gamma once per repeat, as in PyTorch. */
  milestones: number[];
  /** Multiplicative decay; default 0.1. */
  gamma?: number;
}

/** Multiplies each group's lr by gamma at each milestone (torch.optim.lr_scheduler.MultiStepLR). */
export class MultiStepLR extends LRScheduler<Required<MultiStepLROptions>> {
  constructor(optimizer: OptimizerLike, { milestones, gamma = 0.1 }: MultiStepLROptions) {
    super(optimizer, { milestones: [...milestones].sort((a, b) => a - b), gamma });
  }

  protected override getLr(): number[] {
    const { milestones, gamma } = this.config;
    const hits = milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * gamma ** hits);
  }
}

/** ExponentialLR's hyperparameters. */
export interface ExponentialLROptions {
  /** Multiplicative decay per epoch. */
  gamma: number;
}

/** Multiplies each group's lr by gamma every epoch (torch.optim.lr_scheduler.ExponentialLR). */
export class ExponentialLR extends LRScheduler<ExponentialLROptions> {
  constructor(optimizer: OptimizerLike, { gamma }: ExponentialLROptions) {
    super(optimizer, { gamma });
  }

  protected override getLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.config.gamma);
  }
}

/** CosineAnnealingLR's hyperparameters. */
export interface CosineAnnealingLROptions {
  /** Half-period of the cosine, in epochs. */
  tMax: number;
  /** The lr at the bottom of the cosine; default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing from each group's initial lr to etaMin over tMax epochs
 * (torch.optim.lr_scheduler.CosineAnnealingLR). Like PyTorch it uses the recursive form, so past
 * tMax the lr climbs back up along the cosine rather than staying at etaMin.
 */
export class CosineAnnealingLR extends LRScheduler<Required<CosineAnnealingLROptions>> {
  constructor(optimizer: OptimizerLike, { tMax, etaMin = 0 }: CosineAnnealingLROptions) {
    super(optimizer, { tMax, etaMin });
  }

  protected override getLr(): number[] {
    const { tMax, etaMin } = this.config;
    const e = this.lastEpoch;
    if (e === 0) return this.currentLrs();
    // At the bottom of the cosine the ratio below divides by zero; PyTorch steps up by the first increment.
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return this.currentLrs().map(
        (lr, i) => lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2,
      );
    }
    return this.currentLrs().map(
      (lr) =>
        ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) +
        etaMin,
    );
  }
}

/** LinearLR's hyperparameters. */
export interface LinearLROptions {
  /** Factor applied at epoch 0, in [0, 1]; default 1/3. */
  startFactor?: number;
  /** Factor reached at totalIters, in [0, 1]; default 1. */
  endFactor?: number;
  /** Epochs over which the factor changes; default 5. */
  totalIters?: number;
}

/** Scales each group's lr by a factor moving linearly from startFactor to endFactor (LinearLR). */
export class LinearLR extends LRScheduler<Required<LinearLROptions>> {
  constructor(
    optimizer: OptimizerLike,
    { startFactor = 1 / 3, endFactor = 1, totalIters = 5 }: LinearLROptions = {},
  ) {
    if (startFactor > 1 || startFactor < 0) {
      throw new Error('Starting multiplicative factor expected to be between 0 and 1.');
    }
    if (endFactor > 1 || endFactor < 0) {
      throw new Error('Ending multiplicative factor expected to be between 0 and 1.');
    }
    super(optimizer, { startFactor, endFactor, totalIters });
  }

  protected override getLr(): number[] {
    const { startFactor, endFactor, totalIters } = this.config;
    const e = this.lastEpoch;
    if (e === 0) return this.currentLrs().map((lr) => lr * startFactor);
    if (e > totalIters) return this.currentLrs();
    // PyTorch's chainable ratio between consecutive factors, written in the same operation order.
    const ratio =
      1 + (endFactor - startFactor) / (totalIters * startFactor + (e - 1) * (endFactor - startFactor));
    return this.currentLrs().map((lr) => lr * ratio);
  }
}

/** WarmupCosineLR's hyperparameters, nanoGPT's names in camelCase. */
export interface WarmupCosineLROptions {
  /** Steps of linear warmup (warmup_iters). */
  warmupSteps: number;
  /** The step where the cosine reaches minLr (lr_decay_iters); the lr stays there after it. */
  decaySteps: number;
  /** The lowest learning rate (min_lr), absolute as in nanoGPT, the same for every group. */
  minLr: number;
}

/**
 * nanoGPT's get_lr as a per-step schedule: a linear warmup to each group's initial lr, a cosine
 * from it down to minLr at decaySteps, then minLr. It is PyTorch's LambdaLR with that function
 * (lr = initial_lr * lambda(step)), which is how the exported script writes it; stepped once per
 * batch, so lastEpoch counts optimizer steps.
 */
export class WarmupCosineLR extends LRScheduler<WarmupCosineLROptions> {
  constructor(optimizer: OptimizerLike, options: WarmupCosineLROptions) {
    super(optimizer, { ...options });
  }

  /** nanoGPT's get_lr(it) for a base learning rate. */
  static lrAt(it: number, base: number, { warmupSteps, decaySteps, minLr }: WarmupCosineLROptions): number {
    if (it < warmupSteps) return (base * (it + 1)) / (warmupSteps + 1);
    if (it > decaySteps) return minLr;
    // At least 1: a schedule with no decay steps stays at the base lr until it drops to minLr.
    const ratio = (it - warmupSteps) / Math.max(decaySteps - warmupSteps, 1);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (base - minLr);
  }

  protected override getLr(): number[] {
    return this.baseLrs.map((base) => WarmupCosineLR.lrAt(this.lastEpoch, base, this.config));
  }
}

/** OneCycleLR's hyperparameters; give totalSteps, or epochs and stepsPerEpoch. */
export interface OneCycleLROptions {
  /** Peak lr, one for all groups or one per group. */
  maxLr: number | number[];
  /** Steps in the cycle; takes precedence over epochs * stepsPerEpoch. */
  totalSteps?: number;
  /** Epochs, with stepsPerEpoch, when totalSteps is not given. */
  epochs?: number;
  /** Steps per epoch, with epochs, when totalSteps is not given. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr; default 0.3. */
  pctStart?: number;
  /** 'cos' (default) or 'linear' annealing. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's beta1) inversely to the lr; default true. */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak; default 0.85. */
  baseMomentum?: number | number[];
  /** Momentum at the cycle's ends; default 0.95. */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor; default 25. */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor; default 1e4. */
  finalDivFactor?: number;
  /** Use the paper's three phases instead of fastai's two; default false. */
  threePhase?: boolean;
}

/** What OneCycleLR keeps in its state dict; the per-group lrs and momenta live in the groups. */
export interface OneCycleLRConfig {
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;
  threePhase: boolean;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR), stepped once per batch. It writes
 * initialLr, maxLr, minLr (and maxMomentum, baseMomentum) into each group as PyTorch does, and cycles
 * `momentum`, or `betas[0]` for Adam-like groups. Like PyTorch, one step past totalSteps extrapolates
 * the last phase and the next one throws.
 */
export class OneCycleLR extends LRScheduler<OneCycleLRConfig> {
  constructor(optimizer: OptimizerLike, options: OneCycleLROptions) {
    const {
      pctStart = 0.3,
      annealStrategy = 'cos',
      cycleMomentum = true,
      divFactor = 25,
      finalDivFactor = 1e4,
      threePhase = false,
    } = options;
    const totalSteps = OneCycleLR.resolveTotalSteps(options);
    if (!(pctStart >= 0 && pctStart <= 1)) {
      throw new Error(`Expected float between 0 and 1 pctStart, but got ${pctStart}`);
    }
    const maxLrs = perGroup('maxLr', optimizer, options.maxLr);
    optimizer.paramGroups.forEach((group, i) => {
      const initialLr = maxLrs[i] / divFactor;
      group.initialLr = initialLr;
      group.maxLr = maxLrs[i];
      group.minLr = initialLr / finalDivFactor;
    });
    let useBeta1 = false;
    if (cycleMomentum) {
      useBeta1 = OneCycleLR.initMomentum(optimizer, options);
    }
    super(optimizer, { totalSteps, pctStart, annealStrategy, cycleMomentum, useBeta1, threePhase });
  }

  private static resolveTotalSteps({ totalSteps, epochs, stepsPerEpoch }: OneCycleLROptions): number {
    const positiveInt = (name: string, v: number | undefined): number => {
      if (v === undefined || !Number.isInteger(v) || v <= 0) {
        throw new Error(`Expected positive integer ${name}, but got ${v}`);
      }
      return v;
    };
    if (totalSteps !== undefined) return positiveInt('totalSteps', totalSteps);
    if (epochs === undefined && stepsPerEpoch === undefined) {
      throw new Error('You must define either totalSteps OR (epochs AND stepsPerEpoch)');
    }
    return positiveInt('epochs', epochs) * positiveInt('stepsPerEpoch', stepsPerEpoch);
  }

  /** Sets each group's momentum (or beta1) to its max and records the bounds; returns useBeta1. */
  private static initMomentum(optimizer: OptimizerLike, options: OneCycleLROptions): boolean {
    const groups = optimizer.paramGroups;
    const useBeta1 = groups.every((g) => Array.isArray(g.betas));
    if (!useBeta1 && !groups.every((g) => typeof g.momentum === 'number')) {
      throw new Error('optimizer must support momentum with `cycleMomentum` option enabled');
    }
    const maxMomentums = perGroup('maxMomentum', optimizer, options.maxMomentum ?? 0.95);
    const baseMomentums = perGroup('baseMomentum', optimizer, options.baseMomentum ?? 0.85);
    groups.forEach((group, i) => {
      OneCycleLR.setMomentum(group, useBeta1, maxMomentums[i]);
      group.maxMomentum = maxMomentums[i];
      group.baseMomentum = baseMomentums[i];
    });
    return useBeta1;
  }

  private static setMomentum(group: ParamGroupLike, useBeta1: boolean, value: number): void {
    if (useBeta1) group.betas = [value, ...(group.betas as number[]).slice(1)];
    else group.momentum = value;
  }

  /** The phases as PyTorch builds them, each ending at a (possibly fractional) step. */
  private phases(): Phase[] {
    const { totalSteps, pctStart, threePhase } = this.config;
    const up = pctStart * totalSteps - 1;
    const rise = { endStep: up, startLr: 'initialLr', endLr: 'maxLr' };
    const riseMomentum = { startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' };
    if (!threePhase) {
      return [
        { ...rise, ...riseMomentum },
        {
          endStep: totalSteps - 1,
          startLr: 'maxLr',
          endLr: 'minLr',
          startMomentum: 'baseMomentum',
          endMomentum: 'maxMomentum',
        },
      ];
    }
    return [
      { ...rise, ...riseMomentum },
      {
        endStep: 2 * pctStart * totalSteps - 2,
        startLr: 'maxLr',
        endLr: 'initialLr',
        startMomentum: 'baseMomentum',
        endMomentum: 'maxMomentum',
      },
      {
        endStep: totalSteps - 1,
        startLr: 'initialLr',
        endLr: 'minLr',
        startMomentum: 'maxMomentum',
        endMomentum: 'maxMomentum',
      },
    ];
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.config.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  protected override getLr(): number[] {
    const { totalSteps, cycleMomentum, useBeta1 } = this.config;
    const stepNum = this.lastEpoch;
    if (stepNum > totalSteps) {
      throw new Error(
        `Tried to step ${stepNum + 1} times. The specified number of total steps is ${totalSteps}`,
      );
    }
    const phases = this.phases();
    // The first phase the step falls in; past the last phase's end PyTorch extrapolates the last one.
    const i = phases.findIndex((p, k) => stepNum <= p.endStep || k === phases.length - 1);
    const phase = phases[i];
    const startStep = i === 0 ? 0 : phases[i - 1].endStep;
    const pct = (stepNum - startStep) / (phase.endStep - startStep);
    return this.optimizer.paramGroups.map((group, g) => {
      const at = (key: string) => groupNumber(group, key, g);
      if (cycleMomentum) {
        OneCycleLR.setMomentum(
          group,
          useBeta1,
          this.anneal(at(phase.startMomentum), at(phase.endMomentum), pct),
        );
      }
      return this.anneal(at(phase.startLr), at(phase.endLr), pct);
    });
  }
}

/** ReduceLROnPlateau's hyperparameters. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): reduce when the metric stops falling; 'max': when it stops rising. */
  mode?: 'min' | 'max';
  /** new lr = lr * factor, below 1; default 0.1. */
  factor?: number;
  /** Bad epochs tolerated before reducing; default 10. */
  patience?: number;
  /** Improvement needed to count as better; default 1e-4. */
  threshold?: number;
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again; default 0. */
  cooldown?: number;
  /** Lower bound on lr, one for all groups or one per group; default 0. */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped; default 1e-8. */
  eps?: number;
}

/**
 * ReduceLROnPlateau's state dict. `best` is a string for ±Infinity ("inf", "-inf"), since JSON has
 * no infinities and the value before the first metric is exactly the mode's infinity.
 */
export interface ReduceLROnPlateauStateDict {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  best: number | 'inf' | '-inf';
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
  lastLr: number[];
}

/**
 * Reduces the lr when a metric has stopped improving (torch.optim.lr_scheduler.ReduceLROnPlateau).
 * Call step(metric) after each validation; it does not touch initialLr, as in PyTorch.
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' lr this scheduler writes. */
  readonly optimizer: OptimizerLike;
  private s: Omit<ReduceLROnPlateauStateDict, 'best'> & { best: number };

  constructor(optimizer: OptimizerLike, options: ReduceLROnPlateauOptions = {}) {
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel' } = options;
    const { cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    if (factor >= 1) throw new Error('Factor should be < 1.0.');
    ReduceLROnPlateau.checkModes(mode, thresholdMode);
    this.optimizer = optimizer;
    this.s = {
      mode,
      factor,
      patience,
      threshold,
      thresholdMode,
      cooldown,
      minLrs: perGroup('minLr', optimizer, minLr),
      eps,
      best: mode === 'min' ? Infinity : -Infinity,
      numBadEpochs: 0,
      cooldownCounter: 0,
      lastEpoch: 0,
      lastLr: optimizer.paramGroups.map((g) => g.lr),
    };
  }

  private static checkModes(mode: string, thresholdMode: string): void {
    if (mode !== 'min' && mode !== 'max') throw new Error(`mode ${mode} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new Error(`threshold mode ${thresholdMode} is unknown!`);
    }
  }

  /** Records one epoch's metric and reduces the lrs if it has not improved for patience epochs. */
  step(metric: number): void {
    const s = this.s;
    s.lastEpoch += 1;
    if (this.isBetter(metric, s.best)) {
      s.best = metric;
      s.numBadEpochs = 0;
    } else {
      s.numBadEpochs += 1;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter -= 1;
      s.numBadEpochs = 0;
    }
    if (s.numBadEpochs > s.patience) {
      this.reduceLr();
      s.cooldownCounter = s.cooldown;
      s.numBadEpochs = 0;
    }
    s.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The groups' lrs after the last step (their lrs at construction before any step). */
  getLastLr(): number[] {
    return [...this.s.lastLr];
  }

  /** Hyperparameters and counters, JSON-safe. */
  stateDict(): ReduceLROnPlateauStateDict {
    const { best, ...rest } = structuredClone(this.s);
    return { ...rest, best: best === Infinity ? 'inf' : best === -Infinity ? '-inf' : best };
  }

  /** Restores what stateDict returned. */
  loadStateDict(state: ReduceLROnPlateauStateDict): void {
    ReduceLROnPlateau.checkModes(state.mode, state.thresholdMode);
    const { best, ...rest } = structuredClone(state);
    this.s = { ...rest, best: best === 'inf' ? Infinity : best === '-inf' ? -Infinity : best };
  }

  private isBetter(a: number, best: number): boolean {
    const { mode, thresholdMode, threshold } = this.s;
    if (mode === 'min' && thresholdMode === 'rel') return a < best * (1 - threshold);
    if (mode === 'min') return a < best - threshold;
    if (thresholdMode === 'rel') return a > best * (threshold + 1);
    return a > best + threshold;
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.s.factor, this.s.minLrs[i]);
      if (oldLr - newLr > this.s.eps) group.lr = newLr;
    });
  }
}
