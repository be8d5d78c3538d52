/**
 * A training run, the centre of Kiln: a model spec, a config, its data, and the live objects they
 * make (model, optimizer, scheduler, loss, the loader and its generator, the position in the data).
 * It is created from settings or from a checkpoint (a checkpoint is one serialisation of a Run), and
 * `fit` is the one loop that trains it: epochs of training, validation, the scheduler's epoch step
 * and checkpoints, with hooks for what a shell shows or writes. The CLI and the page's worker are
 * thin shells around it, so the same settings train the same way, bit for bit, in both.
 */
import { DataLoader, RandomSampler } from '../data/dataloader';
import { buildModel, CrossEntropyLoss, type SpecModel } from '../nn';
import { dataFitError, type ModelSpec, specError } from '../nn/spec';
import type { Optimizer } from '../optim/optimizer';
import { defaultGenerator, manualSeed } from '../tensor/default';
import type { Histogram } from '../tensor/ops';
import { Generator } from '../tensor/random';
import { numel } from '../tensor/tensor';
import {
  type Checkpoint,
  CheckpointError,
  type CheckpointMeta,
  encodeCheckpoint,
  parseCheckpoint,
  type Scalar,
} from './checkpoint';
import { ConfigError, checkConfig, type TrainConfig } from './config';
import type { RunData } from './data';
import { RunError } from './errors';
import { type EvalResult, evaluate } from './evaluate';
import { createOptimizer, createSchedule, type Schedule } from './factories';
import { type EpochTrainResult, type HistogramReport, type TrainControl, Trainer } from './trainer';

/** Validation batch size: large, since nothing is kept for a backward pass. */
const VAL_BATCH = 500;

/** What one finished epoch measured. */
export interface EpochReport {
  /** Epochs completed, counting this one. */
  epoch: number;
  step: number;
  train: EpochTrainResult;
  val: EvalResult;
  /** The learning rate the epoch trained at (its first step's). */
  lr: number;
}

/**
 * Why a checkpoint is being written: an epoch ended (or the run finished), it was stopped, or the
 * shell asked for one between steps (`checkpointDue`) while the run goes on.
 */
export type CheckpointReason = 'epoch' | 'stopped' | 'interim';

/**
 * What a run is doing: compiling (its first step, which builds and tunes the GPU pipelines),
 * training, validating, or writing a checkpoint.
 */
export type RunPhase = 'compiling' | 'training' | 'validating' | 'checkpointing';

/** What a shell does with a run's progress; every hook is optional. */
export interface RunHooks {
  /** The run enters a phase (called again for the same phase at each epoch's start). */
  phase?(phase: RunPhase): void;
  /** Scalars as they are logged (TensorBoard's tags): the training loss and learning rate every logEvery steps, the validation loss and accuracy every epoch. */
  scalars?(scalars: Scalar[]): void;
  /** A finished epoch (after validation and the scheduler's step). */
  epoch?(report: EpochReport): void | Promise<void>;
  /** Checkpoint bytes to keep; awaited, so a failed write stops the run before more work. */
  checkpoint?(bytes: Uint8Array, reason: CheckpointReason): void | Promise<void>;
  /**
   * At the first step and every histogramsEvery steps, each parameter's and its gradient's
   * histogram, tagged as PyTorch's add_histogram users tag them (fc1.weight, fc1.weight.grad);
   * wallTime in ms.
   */
  histograms?(items: HistogramItem[]): void;
}

/** One tagged histogram at a step. */
export interface HistogramItem {
  tag: string;
  step: number;
  /** Milliseconds since the Unix epoch, as Scalar's. */
  wallTime: number;
  hist: Histogram;
}

/** How fit trains: pause and stop, and how often to checkpoint. */
export interface FitOptions extends TrainControl {
  /** Checkpoint every N epochs and after the last one (0: only when stopped). Default 1. */
  checkpointEvery?: number;
  /** Misclassified validation samples to keep per epoch (the page shows them). Default 0. */
  keepMisclassified?: number;
  /**
   * At the first step (a baseline) and every N optimizer steps, histograms of each parameter and
   * gradient (the histograms hook) and the gradient health scalars grad_norm/<name> and
   * update_ratio/<name> (||Δw|| / ||w|| across the step; a non-finite gradient's norm is NaN or
   * Infinity), and dead_relu/<module> (the fraction of a ReLU's units at 0 for the whole batch).
   * Counted on the device inside the step, read back without stalling it. Default off.
   */
  histogramsEvery?: number;
  /**
   * Polled after every step: true writes a checkpoint of exactly that point (reason 'interim') and
   * training goes on, so a shell can keep one every few minutes or before its page goes away. The
   * loss of the steps since the last read-back is not in it: a resume logs from its own steps on.
   */
  checkpointDue?(): boolean;
}

/** Refuses a model that cannot take the data's samples or does not score each of its classes. */
export function checkModelFitsData(
  spec: ModelSpec,
  data: Pick<RunData, 'inputShape' | 'numClasses' | 'inputDtype' | 'labelShape'>,
): void {
  const problem = specError(spec);
  if (problem) throw new RunError('config', `the model ${spec.name} is invalid: ${problem}`);
  const misfit = dataFitError(spec, data);
  if (misfit) throw new RunError('config', misfit);
}

/** Where a run comes from: settings, or a checkpoint (whose settings rule; only `epochs` or `steps` may grow). */
export type RunSource =
  | { spec: ModelSpec; config: TrainConfig }
  | { checkpoint: Checkpoint; epochs?: number; steps?: number };

/**
 * Opens a run from its source on the data that `prepare` makes for the run's config (a resumed
 * run's data are prepared with the checkpoint's own split, limit and normalisation). The run owns
 * the data from then on; if it is refused, the data are freed and nothing else was made.
 */
export function openRun(source: RunSource, prepare: (config: TrainConfig) => RunData): Run {
  const config = 'checkpoint' in source ? source.checkpoint.meta.config : checkConfig(source.config);
  const data = prepare(config);
  try {
    return 'checkpoint' in source
      ? Run.fromCheckpoint(source.checkpoint, data, source.epochs, source.steps)
      : Run.create(source.spec, source.config, data);
  } catch (e) {
    data.dispose();
    throw e;
  }
}

/** A training run: create it, fit it, checkpoint it, dispose it. It owns its data. */
export class Run {
  readonly model: SpecModel;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule;
  readonly trainer: Trainer;
  /** Every scalar logged so far, carried by its checkpoints. */
  readonly history: Scalar[] = [];
  private readonly valLoader: DataLoader;
  private lastLoss: number | null = null;
  private disposed = false;
  private dataReleased = false;

  private constructor(
    readonly spec: ModelSpec,
    readonly config: TrainConfig,
    readonly data: RunData,
  ) {
    // Seeded exactly as a fresh run always is: the global generator draws the initial weights and
    // dropout masks, the loader has its own for the order.
    manualSeed(config.seed);
    this.model = buildModel(spec);
    // A run in steps draws its windows (samples) at random with replacement, as nanoGPT's
    // get_batch; its loader's epoch is one evaluation interval, so fit() validates after each.
    const loader = new DataLoader(data.train, {
      batchSize: config.batchSize,
      ...(config.steps === null
        ? { shuffle: config.shuffle }
        : { sampler: new RandomSampler(config.evalEvery * config.batchSize) }),
      generator: new Generator(config.seed),
    });
    this.optimizer = createOptimizer(config, this.model);
    this.schedule = createSchedule(config, this.optimizer, loader.length);
    const loss = new CrossEntropyLoss({ labelSmoothing: config.labelSmoothing });
    this.trainer = new Trainer(this.model, this.optimizer, loss, loader, config, this.schedule);
    // A sequence model's validation batch holds its training batch's windows: [B, T, V] logits and
    // [B, heads, T, T] attention grow with T, so MNIST's 500 would not fit a GPT's memory.
    this.valLoader = new DataLoader(data.val, { batchSize: data.labelShape ? config.batchSize : VAL_BATCH });
  }

  /**
   * A fresh run; every setting and the model's fit to the data are checked before anything is
   * built. Its config holds the normalisation its images get, computed or given, so its checkpoints
   * (and a script exported from them) carry the figures it trained with.
   */
  static create(spec: ModelSpec, config: TrainConfig, data: RunData): Run {
    checkConfig(config);
    if (data.train.length === 0) throw new RunError('config', 'there are no training samples to train on');
    checkModelFitsData(spec, data);
    if (!data.normalization && (config.mean !== null || config.std !== null))
      throw new ConfigError([
        {
          field: config.mean !== null ? 'mean' : 'std',
          message:
            "the normalisation mean and std apply to images: a table's features are each standardised with their own mean and std over the training split",
        },
      ]);
    return new Run(spec, { ...config, ...data.normalization }, data);
  }

  /**
   * The run a checkpoint holds, continued exactly: weights, optimizer, scheduler, the generators
   * and the position in the data. Only `epochs` (a run in steps: `steps`) may change: it counts
   * epochs (steps) in all, and must be more than the checkpoint has done. Refused, with nothing
   * changed, when the checkpoint does not fit `data` (other samples, another shape) or is inconsistent.
   */
  static fromCheckpoint(file: Uint8Array | Checkpoint, data: RunData, epochs?: number, steps?: number): Run {
    const ckpt = file instanceof Uint8Array ? parseCheckpoint(file) : file;
    const { meta } = ckpt;
    const config = { ...meta.config, epochs: epochs ?? meta.config.epochs };
    if (steps !== undefined) {
      if (config.steps === null)
        throw new RunError('config', 'the checkpoint is of a run in epochs: ask for more epochs, not steps');
      config.steps = steps;
    }
    checkConfig(config);
    if (config.steps !== null) {
      if (meta.globalStep >= config.steps)
        throw new RunError(
          'config',
          `the checkpoint has done ${meta.globalStep} of ${meta.config.steps} steps already: ask for more steps in all (e.g. ${meta.globalStep + meta.config.evalEvery}) to train on`,
        );
    } else if (meta.epoch >= config.epochs) {
      throw new RunError(
        'config',
        `the checkpoint has done ${meta.epoch} of ${meta.config.epochs} epochs already: ask for more epochs in all (e.g. ${meta.epoch + 1}) to train on`,
      );
    }
    const dataProblem = dataMismatch(meta, data);
    if (dataProblem) throw new RunError('data-mismatch', dataProblem);
    checkModelFitsData(meta.spec, data);
    const before = defaultGenerator.getState();
    const run = new Run(meta.spec, config, data);
    try {
      run.restore(ckpt);
    } catch (e) {
      defaultGenerator.setState(before);
      run.dispose();
      throw e;
    }
    return run;
  }

  /** Epochs completed. */
  get epoch(): number {
    return this.trainer.epoch;
  }

  /** Optimizer steps taken in all. */
  get globalStep(): number {
    return this.trainer.globalStep;
  }

  /** Steps in one epoch (a run in steps: in one evaluation interval). */
  get stepsPerEpoch(): number {
    return this.trainer.loader.length;
  }

  /** Whether the run has trained all it was asked to: its epochs, or its steps. */
  get done(): boolean {
    const { steps, epochs } = this.config;
    return steps === null ? this.trainer.epoch >= epochs : this.trainer.globalStep >= steps;
  }

  /**
   * The model on the whole validation set, in eval mode: a text run's loss is in nats per
   * character, each character of the validation text predicted once.
   */
  async evaluate(keepMisclassified = 0): Promise<EvalResult> {
    return evaluate(this.model, this.valLoader, this.data.numClasses, keepMisclassified);
  }

  /**
   * Trains the remaining epochs: each trains, validates, steps an epoch scheduler and checkpoints
   * (every `checkpointEvery` epochs and after the last). A stop request ends it after the current
   * step with a checkpoint of exactly where it stopped. A loss that diverges (not finite, or over
   * ten times its first: divergenceLimit), in training or validation, throws trainer.ts DivergenceError
   * before anything of that epoch is kept.
   */
  async fit(hooks: RunHooks = {}, opts: FitOptions = {}): Promise<'finished' | 'stopped'> {
    if (this.dataReleased) throw new Error('this run has released its data: it cannot train again');
    const every = opts.checkpointEvery ?? 1;
    const { trainer } = this;
    const histogramsEvery = opts.histogramsEvery;
    if (histogramsEvery !== undefined && !(Number.isInteger(histogramsEvery) && histogramsEvery >= 1)) {
      throw new RunError('config', `histogramsEvery must be a whole number >= 1, got ${histogramsEvery}`);
    }
    if (histogramsEvery) {
      trainer.histograms = { every: histogramsEvery, onRead: (r) => this.logHistograms(hooks, r) };
    }
    trainer.onStep = (m) => {
      this.lastLoss = m.loss;
      this.log(hooks, [
        { tag: 'Loss/train', value: m.loss, step: m.step, wallTime: m.wallTime * 1000 },
        { tag: 'learning_rate', value: m.lr, step: m.step, wallTime: m.wallTime * 1000 },
        // A language model's training loss in bits per character too, beside BPC/val.
        ...(this.data.vocab === undefined
          ? []
          : [{ tag: 'BPC/train', value: m.loss / Math.LN2, step: m.step, wallTime: m.wallTime * 1000 }]),
      ]);
    };
    const save = async (reason: CheckpointReason) => {
      hooks.phase?.('checkpointing');
      await hooks.checkpoint?.(await this.checkpoint(), reason);
    };
    // The first step of this process compiles the pipelines; later epochs only tune new shapes.
    let compiled = false;
    trainer.onFirstStep = () => {
      compiled = true;
      hooks.phase?.('training');
    };
    // A run in steps ends mid-interval when its steps run out there: the trainer stops as for a
    // stop request, the loader keeps its place (so more steps resume exactly), and it validates.
    const { steps } = this.config;
    const control: TrainControl = {
      ...opts,
      shouldStop: () => (steps !== null && trainer.globalStep >= steps) || (opts.shouldStop?.() ?? false),
      waitWhilePaused: async () => {
        await opts.waitWhilePaused?.();
        // An epoch's last step is followed by its own checkpoint, after validation.
        if (trainer.loader.position().batch >= this.stepsPerEpoch || !opts.checkpointDue?.()) return;
        await save('interim');
        hooks.phase?.('training');
      },
    };
    try {
      while (!this.done) {
        const lr = trainer.lr;
        hooks.phase?.(compiled ? 'training' : 'compiling');
        const train = await trainer.trainEpoch(control);
        if (train.stopped && !this.done) {
          await save('stopped');
          return 'stopped';
        }
        hooks.phase?.('validating');
        const val = await this.evaluate(opts.keepMisclassified ?? 0);
        if (trainer.diverged(val.loss))
          throw trainer.divergenceError(trainer.globalStep, val.loss, 'validation');
        trainer.endEpoch(val.loss);
        const step = trainer.globalStep;
        const wallTime = Date.now();
        this.log(hooks, [
          { tag: 'Loss/val', value: val.loss, step, wallTime },
          { tag: 'Accuracy/val', value: val.accuracy, step, wallTime },
          // A language model's loss as bits per character and perplexity, as papers report them.
          ...(this.data.vocab === undefined
            ? []
            : [
                { tag: 'BPC/val', value: val.loss / Math.LN2, step, wallTime },
                { tag: 'Perplexity/val', value: Math.exp(val.loss), step, wallTime },
              ]),
        ]);
        await hooks.epoch?.({ epoch: trainer.epoch, step, train, val, lr });
        const last = this.done;
        const stop = !last && (opts.shouldStop?.() ?? false);
        if (last || stop || (every > 0 && trainer.epoch % every === 0))
          await save(stop ? 'stopped' : 'epoch');
        if (stop) return 'stopped';
      }
      return 'finished';
    } finally {
      trainer.onStep = undefined;
      trainer.onFirstStep = undefined;
      trainer.histograms = undefined;
    }
  }

  /** A histogram report as TensorBoard's tags: histograms to the hook, gradient health as scalars. */
  private logHistograms(hooks: RunHooks, r: HistogramReport): void {
    const [step, wallTime] = [r.step, r.wallTime * 1000];
    const items: HistogramItem[] = [];
    const scalars: Scalar[] = [];
    for (const p of r.params) {
      items.push({ tag: p.name, step, wallTime, hist: p.weight });
      if (!p.grad) continue;
      items.push({ tag: `${p.name}.grad`, step, wallTime, hist: p.grad });
      // NaN or infinities in the gradient make its norm so, as torch.nn.utils.clip_grad_norm_ reports it.
      const { nan, posInf, negInf, sumSquares } = p.grad;
      const norm = nan ? Number.NaN : posInf + negInf ? Number.POSITIVE_INFINITY : Math.sqrt(sumSquares);
      const ratio = Math.sqrt(p.update.sumSquares) / Math.sqrt(p.weight.sumSquares);
      scalars.push(
        { tag: `grad_norm/${p.name}`, value: norm, step, wallTime },
        { tag: `update_ratio/${p.name}`, value: ratio, step, wallTime },
      );
    }
    for (const d of r.deadRelus)
      scalars.push({ tag: `dead_relu/${d.name}`, value: d.dead / d.units, step, wallTime });
    hooks.histograms?.(items);
    this.log(hooks, scalars);
  }

  private log(hooks: RunHooks, scalars: Scalar[]): void {
    for (const s of scalars) this.history.push(s);
    hooks.scalars?.(scalars);
  }

  /** The run as checkpoint bytes: everything an exact resume needs. */
  async checkpoint(): Promise<Uint8Array> {
    const { trainer } = this;
    return encodeCheckpoint(await this.model.stateDictData(), await this.optimizer.stateDict(), {
      epoch: trainer.epoch,
      globalStep: trainer.globalStep,
      loss: this.lastLoss,
      scheduler: this.schedule ? this.schedule.scheduler.stateDict() : null,
      generator: defaultGenerator.getState(),
      loader: trainer.loader.position(),
      trainSamples: this.data.train.length,
      dataset: { name: this.data.name, fingerprint: this.data.fingerprint },
      ...(this.data.vocab === undefined ? {} : { vocab: this.data.vocab }),
      config: this.config,
      spec: this.spec,
      history: this.history,
    });
  }

  /** Writes a checkpoint's state into this freshly built run, after checking that it fits. */
  private restore(ckpt: Checkpoint): void {
    const problems = this.mismatches(ckpt);
    if (problems.length) {
      throw new CheckpointError(`the checkpoint does not fit its own model spec: ${problems.join('; ')}`);
    }
    const { trainer } = this;
    this.model.loadStateDict(ckpt.model);
    this.optimizer.loadStateDict(ckpt.optimizer);
    if (this.schedule && ckpt.meta.scheduler !== null) {
      this.schedule.scheduler.loadStateDict(ckpt.meta.scheduler as never);
    }
    defaultGenerator.setState(ckpt.meta.generator);
    trainer.loader.resume(ckpt.meta.loader);
    trainer.epoch = ckpt.meta.epoch;
    trainer.globalStep = ckpt.meta.globalStep;
    this.lastLoss = ckpt.meta.loss;
    // One by one: spreading a long history into push() overflows the call stack.
    for (const s of ckpt.meta.history ?? []) this.history.push(s);
  }

  /** Every way a checkpoint's tensors and counters do not fit this run, as PyTorch's strict load lists them. */
  private mismatches(ckpt: Checkpoint): string[] {
    const problems: string[] = [];
    const own = this.model.stateDict();
    const missing = [...own.keys()].filter((k) => !ckpt.model.has(k));
    const unexpected = [...ckpt.model.keys()].filter((k) => !own.has(k));
    if (missing.length) problems.push(`missing key(s): ${missing.join(', ')}`);
    if (unexpected.length) problems.push(`unexpected key(s): ${unexpected.join(', ')}`);
    for (const [k, t] of own) {
      const g = ckpt.model.get(k);
      if (g && (g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i]))) {
        problems.push(`size mismatch for ${k}: [${g.shape}] in the file, [${t.shape}] in the model`);
      }
    }
    const groups = this.optimizer.paramGroups;
    const sizes = groups.flatMap((g) => g.params.map((p) => numel(p.shape)));
    if (
      ckpt.optimizer.param_groups.length !== groups.length ||
      ckpt.optimizer.param_groups.some((g, i) => g.params.length !== groups[i].params.length)
    ) {
      problems.push('optimizer parameter groups differ');
    } else {
      for (const [i, entry] of Object.entries(ckpt.optimizer.state)) {
        for (const [name, v] of Object.entries(entry)) {
          if (typeof v === 'object' && v.data.length !== sizes[Number(i)]) {
            problems.push(
              `optimizer state ${i}.${name} has ${v.data.length} values, parameter ${i} has ${sizes[Number(i)]}`,
            );
          }
        }
      }
    }
    const { epoch, globalStep, loader } = ckpt.meta;
    const steps = this.stepsPerEpoch;
    if (loader.batch > steps || globalStep !== epoch * steps + loader.batch) {
      problems.push(
        `its counters disagree: step ${globalStep} at batch ${loader.batch} of epoch ${epoch + 1}, with ${steps} batches an epoch`,
      );
    }
    return problems;
  }

  /**
   * Frees the data's device copies once training is over: the run can still predict, checkpoint
   * and be exported, but not train again.
   */
  releaseData(): void {
    if (this.dataReleased) return;
    this.dataReleased = true;
    this.data.dispose();
  }

  /** Frees everything the run holds on its backend: data, parameters, buffers, optimizer state. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseData();
    this.optimizer.dispose();
    for (const p of this.model.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    for (const t of this.model.stateDict().values()) if (!t.isDisposed) t.dispose();
  }
}

/** Why a checkpoint's data are not `data`, in words that say what to do; null when they match. */
function dataMismatch(meta: CheckpointMeta, data: RunData): string | null {
  const theirs = meta.dataset;
  const same = theirs ? theirs.fingerprint === data.fingerprint : meta.trainSamples === data.train.length;
  if (same) return null;
  const named = theirs
    ? `${theirs.name} (${meta.trainSamples} training samples)`
    : `${meta.trainSamples} training samples`;
  return `the checkpoint trained on ${named}, not on the data loaded now, ${data.name} (${data.train.length}): load the data it trained on to resume it, or start a new run with its settings`;
}
