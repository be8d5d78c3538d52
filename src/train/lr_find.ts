/**
 * The learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural
 * Networks", section 3.3; fastai's `lr_find`): train a few hundred steps while the learning rate
 * grows exponentially from tiny to huge, record the loss at each, and read a good learning rate off
 * the curve. It runs on a copy of a Run's model and optimizer state, with the Run's own optimizer,
 * settings (clipping, batch size, betas, weight decay) and training step (the Trainer), so the
 * curve is the one the run would see; the Run itself (weights, optimizer state, the global
 * generator, its loader's place) is left exactly as it was.
 */
import { DataLoader, RandomSampler } from '../data/dataloader';
import { buildModel, CrossEntropyLoss } from '../nn';
import { ExponentialLR } from '../optim';
import { defaultGenerator } from '../tensor/default';
import { Generator } from '../tensor/random';
import { createOptimizer } from './factories';
import type { Run } from './run';
import { DivergenceError, Trainer } from './trainer';

/** fastai's defaults: lr from 1e-7 to 10 over 100 steps, smoothing 0.98, stop at 4x the best loss. */
export const LR_FIND_DEFAULTS = {
  startLr: 1e-7,
  endLr: 10,
  numIt: 100,
  beta: 0.98,
  divergeFactor: 4,
} as const;

/** The bounds lrFind accepts for numIt: a curve needs points, and the test is meant to be short. */
export const LR_FIND_MAX_IT = 1000;

/** How the range test runs, and what a shell hears while it does. */
export interface LrFindOptions {
  /** The first step's learning rate (default 1e-7). */
  startLr?: number;
  /** The last step's learning rate, reached at step numIt (default 10). */
  endLr?: number;
  /** Steps at most (default 100); the test ends sooner when the loss diverges. */
  numIt?: number;
  /** The loss's exponential moving average factor, debiased as Adam's moments are (default 0.98). */
  beta?: number;
  /** Stop once the smoothed loss exceeds this many times its minimum so far (default 4). */
  divergeFactor?: number;
  /** Checked after every step: true ends the test there (the curve so far is still returned). */
  shouldStop?(): boolean;
  /** Awaited after every step, as Run.fit's: where a shell lets its messages in. */
  waitWhilePaused?(): Promise<void>;
  /** Each point as it is measured (one step behind the GPU, as the trainer reads losses). */
  onPoint?(point: LrFindPoint): void;
}

/** One step of the test: the lr it trained at, its batch's loss, and the smoothed loss. */
export interface LrFindPoint {
  /** 1-based. */
  step: number;
  lr: number;
  loss: number;
  smoothed: number;
}

/** A marked point of the curve: its learning rate and smoothed loss there. */
export interface LrMark {
  lr: number;
  loss: number;
}

/** Why the test ended. */
export type LrFindEnd =
  /** All numIt steps ran without the loss diverging. */
  | 'completed'
  /** The smoothed loss passed divergeFactor times its minimum, or the trainer's own divergence limit. */
  | 'diverged'
  /** A batch's loss was NaN or infinite (that step is not on the curve). */
  | 'non-finite'
  /** shouldStop asked it to. */
  | 'stopped';

/** What the test found. */
export interface LrFindResult {
  /** Every step measured, in order. */
  points: LrFindPoint[];
  /**
   * The steepest descent: the lr where the smoothed loss falls fastest against log10(lr) (the most
   * negative finite difference between neighbouring points). null with fewer than 2 points left
   * once the ends are trimmed (see markedRange).
   */
  steepest: LrMark | null;
  /** The minimum of the smoothed loss, and its lr (null as steepest). */
  minimum: LrMark | null;
  /** minimum.lr / 10, with the smoothed loss at the point nearest to it (null as steepest). */
  minimumTenth: LrMark | null;
  /**
   * The learning rate to train at: minimumTenth's. The minimum of a smoothed loss is a stable
   * feature of the curve, and a tenth of it is still on the descending slope, an order of magnitude
   * below where the loss starts to blow up (Smith's and fastai v1's rule, `lr_min`). The steepest
   * point is a derivative of a noisy curve: a single noisy batch can move it by a decade, often
   * into the flat start where training crawls, so it is offered as a mark, not the suggestion.
   * null when there are too few points (the loss diverged almost at once: lower startLr).
   */
  suggestedLr: number | null;
  end: LrFindEnd;
}

/** The learning rate of step `i` (0-based) of a test from startLr to endLr in numIt steps. */
export function lrAt(i: number, o: { startLr: number; endLr: number; numIt: number }): number {
  return o.numIt === 1 ? o.startLr : o.startLr * (o.endLr / o.startLr) ** (i / (o.numIt - 1));
}

/** The settings of a range test, every one given. */
export type LrFindSettings = { -readonly [K in keyof typeof LR_FIND_DEFAULTS]: number };

/** Options with their defaults filled in; options no test can run with are refused in one line naming the option. */
export function checkLrFindOptions(o: LrFindOptions): LrFindSettings {
  const d = LR_FIND_DEFAULTS;
  const r: LrFindSettings = {
    startLr: o.startLr ?? d.startLr,
    endLr: o.endLr ?? d.endLr,
    numIt: o.numIt ?? d.numIt,
    beta: o.beta ?? d.beta,
    divergeFactor: o.divergeFactor ?? d.divergeFactor,
  };
  const positive = (x: number) => Number.isFinite(x) && x > 0;
  if (!positive(r.startLr)) throw new RangeError(`startLr must be a finite number > 0, got ${r.startLr}`);
  if (!positive(r.endLr) || r.endLr <= r.startLr)
    throw new RangeError(`endLr must be a finite number > startLr (${r.startLr}), got ${r.endLr}`);
  if (!(Number.isInteger(r.numIt) && r.numIt >= 2 && r.numIt <= LR_FIND_MAX_IT))
    throw new RangeError(`numIt must be a whole number in [2, ${LR_FIND_MAX_IT}], got ${r.numIt}`);
  if (!(r.beta >= 0 && r.beta < 1)) throw new RangeError(`beta must lie in [0, 1), got ${r.beta}`);
  if (!(Number.isFinite(r.divergeFactor) && r.divergeFactor > 1))
    throw new RangeError(`divergeFactor must be a finite number > 1, got ${r.divergeFactor}`);
  return r;
}

/**
 * The part of a curve the marks are read from, as fastai reads it: the first tenth of numIt is
 * left out (the loss has not begun to move, and the debiased average still leans on few batches),
 * and the last 5 points (where the loss is blowing up) too. A curve cut short keeps at least its
 * first points past the start.
 */
export function markedRange(points: readonly LrFindPoint[], numIt: number): LrFindPoint[] {
  const skipStart = Math.floor(numIt / 10);
  const end = Math.max(points.length - 5, Math.min(points.length, skipStart + 2));
  return points.slice(Math.min(skipStart, Math.max(0, end - 2)), end);
}

/**
 * The marks of a curve (see LrFindResult): the steepest descent, the minimum and a tenth of it, and
 * the suggestion. Pure, so the page could draw them from the points alone.
 */
export function lrMarks(
  points: readonly LrFindPoint[],
  numIt: number,
): Pick<LrFindResult, 'steepest' | 'minimum' | 'minimumTenth' | 'suggestedLr'> {
  const range = markedRange(points, numIt);
  if (range.length < 2) return { steepest: null, minimum: null, minimumTenth: null, suggestedLr: null };
  let steep = 0;
  let slope = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < range.length; i++) {
    const s = (range[i + 1].smoothed - range[i].smoothed) / Math.log10(range[i + 1].lr / range[i].lr);
    if (s < slope) [slope, steep] = [s, i];
  }
  let low = 0;
  for (let i = 1; i < range.length; i++) if (range[i].smoothed < range[low].smoothed) low = i;
  const tenth = range[low].lr / 10;
  // The recorded point nearest to lr / 10 on a log axis, for the mark's height on the chart.
  const near = points.reduce((a, b) =>
    Math.abs(Math.log(b.lr / tenth)) < Math.abs(Math.log(a.lr / tenth)) ? b : a,
  );
  return {
    steepest: { lr: range[steep].lr, loss: range[steep].smoothed },
    minimum: { lr: range[low].lr, loss: range[low].smoothed },
    minimumTenth: { lr: tenth, loss: near.smoothed },
    suggestedLr: tenth,
  };
}

/**
 * Runs the range test on a copy of `run`'s model and optimizer state (see the file's comment).
 * Each step trains one batch drawn at random (with replacement, from its own generator seeded with
 * the run's seed) at lrAt(step); the loss is smoothed with an exponential moving average, debiased;
 * the test stops after numIt steps, once the smoothed loss exceeds divergeFactor times its minimum,
 * when a loss is not finite, or on shouldStop. A loss that diverges is the expected end, not an
 * error. The run's learning-rate schedule plays no part: the test sets the lr itself.
 */
export async function lrFind(run: Run, options: LrFindOptions = {}): Promise<LrFindResult> {
  const o = checkLrFindOptions(options);
  if (run.data.train.length === 0) throw new RangeError('there are no training samples to run the test on');
  // Building the copy draws initial weights and dropout draws masks from the global generator:
  // the run's next draws must be the ones it would have made without the test.
  const generatorBefore = defaultGenerator.getState();
  const model = buildModel(run.spec);
  const config = { ...run.config, logEvery: 1 };
  let optimizer: ReturnType<typeof createOptimizer> | null = null;
  try {
    model.loadStateDict(await run.model.stateDictData());
    optimizer = createOptimizer(config, model);
    optimizer.loadStateDict(await run.optimizer.stateDict());
    for (const g of optimizer.paramGroups) {
      g.lr = o.startLr;
      g.initialLr = undefined;
    }
    // ExponentialLR stepped per batch is the test's schedule: lr_i = startLr * gamma^i.
    const gamma = (o.endLr / o.startLr) ** (1 / (o.numIt - 1));
    const schedule = { every: 'batch' as const, scheduler: new ExponentialLR(optimizer, { gamma }) };
    const loader = new DataLoader(run.data.train, {
      batchSize: config.batchSize,
      sampler: new RandomSampler(o.numIt * config.batchSize),
      generator: new Generator(config.seed),
    });
    const loss = new CrossEntropyLoss({ labelSmoothing: config.labelSmoothing });
    const trainer = new Trainer(model, optimizer, loss, loader, config, schedule);
    const points: LrFindPoint[] = [];
    let end: LrFindEnd | null = null;
    let avg = 0;
    let best = Number.POSITIVE_INFINITY;
    let seenStep = 0;
    const record = (step: number, lr: number, value: number) => {
      seenStep = step;
      if (end) return;
      if (!Number.isFinite(value)) {
        end = 'non-finite';
        return;
      }
      avg = o.beta * avg + (1 - o.beta) * value;
      const smoothed = avg / (1 - o.beta ** step);
      const point = { step, lr, loss: value, smoothed };
      points.push(point);
      options.onPoint?.(point);
      if (smoothed > o.divergeFactor * best) end = 'diverged';
      else if (smoothed < best) best = smoothed;
    };
    trainer.onStep = (m) => record(m.step, m.lr, m.loss);
    try {
      const result = await trainer.trainEpoch({
        shouldStop: () => {
          if (!end && options.shouldStop?.()) end = 'stopped';
          return end !== null;
        },
        waitWhilePaused: options.waitWhilePaused,
      });
      if (!end) end = result.stopped ? 'stopped' : 'completed';
    } catch (e) {
      // The trainer's own limit (a loss over 10x its first, or not finite) is the test's end too:
      // the step it threw at was not reported, so it is recorded here.
      if (!(e instanceof DivergenceError)) throw e;
      if (e.phase === 'training' && e.step > seenStep) record(e.step, lrAt(e.step - 1, o), e.value);
      end ??= 'diverged';
    }
    return { points, ...lrMarks(points, o.numIt), end };
  } finally {
    optimizer?.dispose();
    for (const p of model.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    for (const t of model.stateDict().values()) if (!t.isDisposed) t.dispose();
    defaultGenerator.setState(generatorBefore);
  }
}
