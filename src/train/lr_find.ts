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
import {
  checkLrFindOptions,
  type LrFindEnd,
  type LrFindPoint,
  type LrFindResult,
  type LrFindSettings,
  lrAt,
  lrMarks,
} from './lr_curve';
import type { Run } from './run';
import { DivergenceError, Trainer } from './trainer';

/** How the range test runs, and what a shell hears while it does. */
export interface LrFindOptions extends Partial<LrFindSettings> {
  /** Checked after every step: true ends the test there (the curve so far is still returned). */
  shouldStop?(): boolean;
  /** Awaited after every step, as Run.fit's: where a shell lets its messages in. */
  waitWhilePaused?(): Promise<void>;
  /** Each point as it is measured (one step behind the GPU, as the trainer reads losses). */
  onPoint?(point: LrFindPoint): void;
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
