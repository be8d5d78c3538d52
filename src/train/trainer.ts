/**
 * The training loop of the guide, shared by the CLI, the worker and tests: per batch forward,
 * loss, backward, clipping, optimizer step and zeroGrad, encoded together and submitted a few steps
 * at a time; the loss is accumulated on the device and read back every `logEvery` steps, one window behind, so the
 * GPU never waits for the CPU. Histograms of the parameters, when asked for, are counted inside a
 * step's submission and read back the same way.
 */
import type { DataLoader } from '../data/dataloader';
import { ReLU } from '../nn/activation';
import type { CrossEntropyLoss } from '../nn/loss';
import type { Module } from '../nn/module';
import { clipGradNorm_, clipGradValue_, type Optimizer } from '../optim';
import type { Histogram } from '../tensor/ops';
import * as ops from '../tensor/ops';
import { type Tensor, tidy } from '../tensor/tensor';
import type { TrainConfig } from './config';
import type { Schedule } from './factories';

/**
 * Training steps encoded into one submission. Each submission has a fixed cost (about 30 us through
 * Dawn on an H100, as long as a whole SimpleNN step's kernels), so steps are submitted in groups;
 * reading the loss every logEvery steps, and any upload that must land in order, submit too.
 */
const STEPS_PER_SUBMIT = 8;

/**
 * How many times its reference a finite loss may grow before the run is called divergent (see
 * divergenceLimit): past it, no learning rate schedule brings a run back, as at Adam's lr 1e10,
 * where a loss of 2.3 becomes 5e23 and stays finite.
 */
export const DIVERGENCE_FACTOR = 10;

/**
 * The loss over which a run has diverged, as PyTorch users mean it: DIVERGENCE_FACTOR times the
 * larger of its first loss (the first step this trainer took: a fresh run's initial loss, or a
 * resumed run's loss where it resumed) and ln(classes), a uniform guess's cross-entropy. The
 * floor keeps a run that starts near 0 (resumed or fine-tuned) free to wobble. A loss that is
 * not finite has diverged whatever the limit.
 */
export function divergenceLimit(firstLoss: number, classes: number): number {
  return DIVERGENCE_FACTOR * Math.max(firstLoss, Math.log(Math.max(classes, 2)));
}

/** Raised when the loss diverges: it stops being finite, or grows past divergenceLimit. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
  readonly kind = 'nan-loss';
  constructor(
    readonly step: number,
    readonly value: number,
    readonly phase: 'training' | 'validation' = 'training',
    /** The limit a finite loss passed. */
    readonly limit?: number,
  ) {
    const how = Number.isFinite(value)
      ? `grew to ${value.toPrecision(3)} at step ${step}, over ${DIVERGENCE_FACTOR} times its first value (the limit is ${limit?.toPrecision(3)})`
      : `became ${value} at step ${step}`;
    super(
      `the ${phase} loss ${how}: training stopped, and the last checkpoint is kept. Try a lower learning rate, or gradient clipping.`,
    );
  }
}

/** A logged point of the training loss (the mean over the steps since the last one). */
export interface StepMetric {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  wallTime: number;
}

/** Bins of the parameters' histograms: TensorBoard draws 30, the page can show finer. */
const HISTOGRAM_BINS = 64;

/** One parameter's histograms at a step: its weights (after the step), gradient and update. */
export interface ParamHistograms {
  /** The state-dict key, e.g. fc1.weight. */
  name: string;
  weight: Histogram;
  /** null when the parameter had no gradient this step. */
  grad: Histogram | null;
  /** Of the step's change to the weights (after minus before). */
  update: Histogram;
}

/** Of one ReLU module at a probed step: units (features, or channels) that output 0 for every sample. */
export interface DeadRelu {
  /** The module's name in the model, as PyTorch's named_modules() gives it (relu, 2). */
  name: string;
  dead: number;
  units: number;
}

/** What the trainer reads back every `every` steps when Trainer.histograms is set. */
export interface HistogramReport {
  step: number;
  /** Seconds since the Unix epoch, when the step was recorded. */
  wallTime: number;
  params: ParamHistograms[];
  /** Every ReLU module's dead units in the step's forward pass, in model order. */
  deadRelus: DeadRelu[];
}

/** Histograms every `every` optimizer steps, handed to onRead once read back. */
export interface HistogramProbe {
  every: number;
  onRead(report: HistogramReport): void;
}

/** Histograms counted at a step, not yet read back. */
interface Counted {
  packed: Tensor;
  /** Per parameter, whether it had a gradient (else its grad slot counted the weights). */
  hasGrad: boolean[];
  /** The ReLU modules whose dead-unit indicators follow the parameters' slots, in order. */
  relus: string[];
  step: number;
  wallTime: number;
}

/** Lets a caller pause or stop between steps. */
export interface TrainControl {
  /** Checked before every step; true ends the epoch early. */
  shouldStop?(): boolean;
  /**
   * Awaited after every step (so a pause acts within one step); resolves when training may go on.
   * It is also where a shell lets its messages or signals in: see `pacedYield`.
   */
  waitWhilePaused?(): Promise<void>;
}

/** Resolvers waiting for the next macrotask, and the channel that runs them (made on first use). */
const macrotaskWaiters: (() => void)[] = [];
let macrotaskChannel: MessageChannel | null = null;

/**
 * Resolves after the event loop has had a turn: setImmediate in Node (a MessagePort there can be
 * drained in one go, starving signal handlers), a MessageChannel message in a browser's worker
 * (setTimeout would be clamped to 4 ms).
 */
function nextMacrotask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (!macrotaskChannel) {
    macrotaskChannel = new MessageChannel();
    macrotaskChannel.port1.onmessage = () => {
      for (const resolve of macrotaskWaiters.splice(0)) resolve();
    };
  }
  const port = macrotaskChannel.port2;
  return new Promise((resolve) => {
    macrotaskWaiters.push(resolve);
    port.postMessage(null);
  });
}

/**
 * A `waitWhilePaused` helper for shells: lets the event loop run (messages, signals) at most every
 * `intervalMs`, so a pause or stop is seen within one step when steps are slow and within
 * `intervalMs` when they are fast, without paying a macrotask per step on a fast GPU.
 */
export function pacedYield(intervalMs = 16): () => Promise<void> {
  let last = performance.now();
  return async () => {
    const now = performance.now();
    if (now - last < intervalMs) return;
    last = now;
    await nextMacrotask();
  };
}

/** What one epoch of training measured. */
export interface EpochTrainResult {
  /** Mean of the batch losses, like the guide's running_loss / len(train_loader). */
  trainLoss: number;
  steps: number;
  samples: number;
  seconds: number;
  /**
   * Of `seconds`, the time the CPU spent fetching batches and recording and submitting steps 2 to
   * `steps` (the first also compiles and tunes; metric reads and pauses are left out): on a fast
   * GPU, the floor of an epoch's time.
   */
  hostSeconds: number;
  stopped: boolean;
}

/** Runs epochs of training for a model, optimizer and loss. */
export class Trainer {
  /** Optimizer steps taken in all. */
  globalStep = 0;
  /** Epochs completed. */
  epoch = 0;
  onStep?: (m: StepMetric) => void;
  /** Called once an epoch's first step is recorded and tuned (compiling its pipelines is then done). */
  onFirstStep?: () => void;
  /** Counts histograms of every parameter every N steps, without a readback in the step. */
  histograms?: HistogramProbe;
  /** divergenceLimit for this trainer's run, once its first step is measured. */
  private lossLimit: number | null = null;

  constructor(
    readonly model: Module,
    readonly optimizer: Optimizer,
    readonly lossFn: CrossEntropyLoss,
    readonly loader: DataLoader,
    readonly config: TrainConfig,
    readonly schedule: Schedule,
  ) {}

  /** Whether `loss` says the run diverged: not finite, or over divergenceLimit. */
  diverged(loss: number): boolean {
    return !Number.isFinite(loss) || (this.lossLimit !== null && loss > this.lossLimit);
  }

  /** The error for a diverged loss. */
  divergenceError(step: number, loss: number, phase?: 'training' | 'validation'): DivergenceError {
    return new DivergenceError(step, loss, phase, this.lossLimit ?? undefined);
  }

  /** The current learning rate of the first param group. */
  get lr(): number {
    return this.optimizer.paramGroups[0].lr;
  }

  /** One epoch over the loader (or the rest of it, when resuming mid-epoch). */
  async trainEpoch(control: TrainControl = {}): Promise<EpochTrainResult> {
    const params = this.model.parameters();
    const backend = params[0].backend;
    const zero = () => ops.full(backend, [], 0).keep();
    let window = zero();
    let epochSum = zero();
    let windowSteps = 0;
    let steps = 0;
    let samples = 0;
    let stopped = false;
    let host = 0;
    let pending: Promise<void> | null = null;
    let histogramsRead: Promise<void> | null = null;
    const start = performance.now();
    this.model.train();
    // Losses add up on the device: per step into the window, per window into the epoch's sum.
    const add = (acc: Tensor, loss: Tensor) => {
      const next = ops.binary('add', acc, loss).keep();
      acc.dispose();
      return next;
    };
    const emit = async (sum: Tensor, n: number, step: number, lr: number) => {
      const total = await sum.item();
      sum.dispose();
      const loss = total / n;
      if (this.diverged(loss)) throw this.divergenceError(step, loss);
      this.onStep?.({ step, epoch: this.epoch + 1, loss, lr, wallTime: Date.now() / 1000 });
    };
    try {
      let mark = performance.now();
      for (const [x, y] of this.loader) {
        // The run's first step too: the baseline that later gradient norms are compared with.
        const probe =
          this.histograms && (this.globalStep === 0 || (this.globalStep + 1) % this.histograms.every === 0);
        let counted: Counted | null = null;
        let classes = 0;
        tidy(() => {
          const relus = probe ? this.watchRelus() : null;
          const out = this.model.forward(x);
          classes = out.shape[out.shape.length - 1];
          const loss = this.lossFn.forward(out, y);
          relus?.remove();
          loss.backward();
          if (this.config.clipNorm !== null) clipGradNorm_(params, this.config.clipNorm).dispose();
          if (this.config.clipValue !== null) clipGradValue_(params, this.config.clipValue);
          const before = probe ? params.map((p) => ops.clone(p)) : null;
          this.optimizer.step();
          // After the step (the gradient it applied is still there), before zeroGrad.
          if (before) counted = this.countHistograms(before, relus?.seen ?? []);
          this.optimizer.zeroGrad();
          window = add(window, loss);
        });
        // The first step brings every shape of the epoch: let the autotuner time them now.
        if (steps === 0) {
          await backend.tune();
          // The window holds this one step's loss: read once, where the tuner has waited anyway.
          if (this.lossLimit === null) this.lossLimit = divergenceLimit(await window.item(), classes);
          this.onFirstStep?.();
        } else if (steps % STEPS_PER_SUBMIT === 0) backend.flush();
        const lr = this.lr;
        if (this.schedule?.every === 'batch') this.schedule.scheduler.step();
        if (steps > 0) host += performance.now() - mark;
        this.globalStep++;
        if (counted) {
          // Read while the next steps train; wait for the previous read only.
          await histogramsRead;
          histogramsRead = this.readHistograms(counted);
          histogramsRead.catch(() => {}); // awaited later, handled now: as the loss reads below
        }
        steps++;
        windowSteps++;
        samples += x.shape[0];
        if (windowSteps === this.config.logEvery) {
          // Read this window's loss while the next one trains; wait for the previous read only.
          await pending;
          epochSum = add(epochSum, window);
          pending = emit(window, windowSteps, this.globalStep, lr);
          // Awaited at the next window or the epoch's end, and handled from now on: a read that
          // rejects (divergence) while the loop waits on a timer must not be an unhandled
          // rejection, which ends a Node process (seen once from --lr-find on a busy machine).
          pending.catch(() => {});
          window = zero();
          windowSteps = 0;
        }
        await control.waitWhilePaused?.();
        mark = performance.now();
        // Checked after a batch is trained, so the loader's position counts exactly the batches done.
        if (control.shouldStop?.() && this.loader.position().batch < this.loader.length) {
          stopped = true;
          break;
        }
      }
      if (windowSteps > 0) {
        await pending;
        epochSum = add(epochSum, window);
        pending = emit(window, windowSteps, this.globalStep, this.lr);
        window = zero();
      }
      await pending;
      pending = null;
      await histogramsRead;
      histogramsRead = null;
      const trainLoss = steps ? (await epochSum.item()) / steps : Number.NaN;
      if (steps && this.diverged(trainLoss)) throw this.divergenceError(this.globalStep, trainLoss);
      if (!stopped) this.epoch++;
      const seconds = (performance.now() - start) / 1000;
      return { trainLoss, steps, samples, seconds, hostSeconds: host / 1000, stopped };
    } finally {
      await pending?.catch(() => {});
      await histogramsRead?.catch(() => {});
      window.dispose();
      epochSum.dispose();
    }
  }

  /**
   * Histograms of each parameter's weights, gradient and update (the weights minus `before`, their
   * copy from before the step), in one tensor: three per parameter, in parameter order.
   */
  private countHistograms(before: Tensor[], relus: WatchedRelu[]): Counted {
    const named = [...this.model.namedParameters()];
    const xs = named.flatMap(([, p], i) => [p, p.grad ?? p, ops.binary('sub', p, before[i])]);
    // Each dead-unit indicator's histogram sums its dead units: read back with the rest, in one go.
    xs.push(...relus.map((r) => r.dead));
    return {
      packed: ops.histograms(xs, HISTOGRAM_BINS).keep(),
      hasGrad: named.map(([, p]) => p.grad !== null),
      relus: relus.map((r) => r.name),
      step: this.globalStep + 1,
      wallTime: Date.now() / 1000,
    };
  }

  /** Reads counted histograms back and hands them to the probe. */
  private async readHistograms(c: Counted): Promise<void> {
    let h: Histogram[];
    try {
      h = await ops.readHistograms(c.packed);
    } finally {
      c.packed.dispose();
    }
    const params = [...this.model.namedParameters()].map(([name], i) => ({
      name,
      weight: h[3 * i],
      grad: c.hasGrad[i] ? h[3 * i + 1] : null,
      update: h[3 * i + 2],
    }));
    const deadRelus = c.relus.map((name, j) => {
      const { sum, counts } = h[3 * params.length + j];
      return { name, dead: sum, units: counts.reduce((a, b) => a + b, 0) };
    });
    this.histograms?.onRead({ step: c.step, wallTime: c.wallTime, params, deadRelus });
  }

  /**
   * Hooks every ReLU module for one forward pass (remove() unhooks them): each output seen gives
   * its dead-unit indicator, computed on the device in the step's own submission.
   */
  private watchRelus(): { seen: WatchedRelu[]; remove(): void } {
    const seen: WatchedRelu[] = [];
    const handles = namedRelus(this.model).map(([name, relu]) =>
      relu.registerForwardHook((_, y) => {
        seen.push({ name, dead: deadUnits(y) });
      }),
    );
    return {
      seen,
      remove: () => {
        for (const h of handles) h.remove();
      },
    };
  }

  /** Steps an epoch-based scheduler at the end of an epoch (ReduceLROnPlateau on the validation loss). */
  endEpoch(valLoss: number): void {
    if (this.schedule?.every === 'epoch') this.schedule.scheduler.step();
    else if (this.schedule?.every === 'plateau') this.schedule.scheduler.step(valLoss);
  }
}

/** A ReLU output's dead-unit indicator, by the module's name. */
interface WatchedRelu {
  name: string;
  dead: Tensor;
}

/** The model's ReLU modules with their dotted names, in model order. */
function namedRelus(m: Module): [string, ReLU][] {
  return [...m.namedModules()].filter((e): e is [string, ReLU] => e[1] instanceof ReLU);
}

/**
 * 1 for each unit of a ReLU output (dim 1: a feature, or a channel at every position) that is 0
 * for every sample of the batch, else 0.
 */
function deadUnits(y: Tensor): Tensor {
  const peak = ops.reduce(
    'max',
    y,
    [...Array(y.ndim).keys()].filter((d) => d !== 1),
  );
  return ops.binary('eq', peak, ops.full(y.backend, [], 0));
}
