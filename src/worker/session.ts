/**
 * What the training worker does, apart from the message plumbing: it owns the backend (the GPU
 * device), the loaded dataset and the runs, and drives train/ exactly as the CLI does. Reports go
 * out through `post`, so the same session runs in a Web Worker and in tests.
 */

import { type Backend, CpuBackend, F, setDefaultBackend, WebGPUBackend } from 'kiln';
import {
  CHECKPOINT_KEY,
  decodeSafetensors,
  modelStateFromFile,
  parseCheckpoint,
  stateDictToSafetensors,
} from 'kiln/checkpoint';
import { ConfigError, MNIST_NORMALIZATION, resolveConfig, type TrainConfig } from 'kiln/config';
import { acquireGpu } from 'kiln/gpu';
import { buildModel, type HostTensor, type Module, StateDictError } from 'kiln/nn';
import { countStateValues, type ModelSpec, modelSpec } from 'kiln/spec';
import {
  checkpointVocab,
  type EpochReport,
  errorKind,
  evaluating,
  generate,
  type HistogramItem,
  lrFind,
  openRun,
  pacedYield,
  prepareRunData,
  type Run,
  RunError,
  type RunPhase,
  recordSample,
  type SourceData,
} from 'kiln/train';
import { WasmBackend } from 'kiln/wasm';
import { read, SchemaError } from '../schema';
import { loadDatasetSource } from './datasets';
import { imageInput, inspect, inspectText } from './inspect';
import { type DatasetSource, type FromWorker, type MessageOf, type ToWorker, toWorker } from './protocol';
import { StepRate } from './stepRate';

/** The most threads the page's WASM backend runs on: beyond this a training step's products are too small to share. */
const MAX_PAGE_THREADS = 8;

import { loadTuning, saveTuning } from './tuning';

/** A run the worker holds: a trainable run, or a model loaded to evaluate and draw on. */
interface LiveRun {
  id: string;
  spec: ModelSpec;
  model: Module;
  /** Input normalisation the model was trained with. */
  mean: number;
  std: number;
  run?: Run;
  paused: boolean;
  stopped: boolean;
  /** True while the run's fit() is going on. */
  training: boolean;
  /** A checkpoint was asked for (checkpointNow) and not yet taken. */
  checkpointWanted: boolean;
  resumeWaiters: (() => void)[];
  /** A text run's vocabulary (id i is [...vocab][i]); absent for images and tables. */
  vocab?: string;
  /**
   * Settles once the samples and text inspections using the model are done; a training loop
   * waits on it between steps, so they read one step's weights and the run never sees them.
   */
  borrowed: Promise<void>;
  /** How many of them are under way: a run released meanwhile is freed after the last. */
  borrowers: number;
  /** Frees what the run holds on the device. */
  dispose(): void;
}

/** The worker's state and its handlers for each command. */
export class Session {
  private backend: Backend | null = null;
  /** The init in progress or done: messages are handled concurrently, and a dataset from the cache can be ready before the GPU is. */
  private initialised: Promise<void> | null = null;
  private data: SourceData | null = null;
  private readonly runs = new Map<string, LiveRun>();
  /** The learning-rate range test under way, if any, and whether it was asked to stop. */
  private finding: { requestId: number; stopped: boolean } | null = null;

  constructor(private readonly post: (msg: FromWorker) => void) {}

  /**
   * Handles one posted message, read through the protocol's schema first; failures (a malformed
   * message included) become `error` reports, never unhandled rejections.
   */
  async handle(raw: unknown): Promise<void> {
    let msg: ToWorker | undefined;
    try {
      msg = read(toWorker, raw, 'message');
      // A command that needs the backend waits for the init under way (an upload right after a
      // reload was refused as "not initialised" while the GPU was still being acquired).
      if (msg.type !== 'init' && msg.type !== 'loadDataset') await this.initialised?.catch(() => {});
      switch (msg.type) {
        case 'init':
          this.initialised = this.init(msg.backend);
          return await this.initialised;
        case 'loadDataset':
          return await this.loadDataset(msg.source);
        case 'train':
          return await this.train(msg.runId, msg.model, msg.config, msg.resume);
        case 'lrFind':
          return await this.lrFind(msg.requestId, msg.model, msg.config);
        case 'stopLrFind':
          if (this.finding?.requestId === msg.requestId) this.finding.stopped = true;
          return;
        case 'pause':
          return this.setPaused(msg.runId, true);
        case 'resume':
          return this.setPaused(msg.runId, false);
        case 'stop': {
          const live = this.runs.get(msg.runId);
          if (live) {
            live.stopped = true;
            this.setPaused(msg.runId, false);
          }
          return;
        }
        case 'checkpointNow': {
          const live = this.runs.get(msg.runId);
          if (live?.training) live.checkpointWanted = true;
          return;
        }
        case 'disposeRun':
          return this.disposeRun(msg.runId);
        case 'predict':
          return await this.predict(msg.requestId, msg.runId, msg.pixels);
        case 'inspect':
          return await this.inspect(msg.requestId, msg.runId, msg.pixels);
        case 'sample':
          return await this.sample(msg);
        case 'inspectText':
          return await this.inspectText(msg.requestId, msg.runId, msg.prompt);
        case 'exportCheckpoint':
          return await this.exportCheckpoint(msg.runId, msg.kind);
        case 'importCheckpoint':
          return await this.importCheckpoint(msg.runId, msg.bytes, msg.model);
      }
    } catch (e) {
      this.fail(e, msg && 'runId' in msg ? msg.runId : undefined);
    }
  }

  private fail(e: unknown, runId?: string): void {
    const message = e instanceof Error ? e.message : String(e);
    const problems = e instanceof ConfigError ? e.problems : undefined;
    this.post({ type: 'error', kind: errorKind(e), message, runId, problems });
  }

  private async init(kind: 'webgpu' | 'wasm' | 'cpu'): Promise<void> {
    if (kind === 'wasm' && (await WasmBackend.supported())) {
      // Threads where the page is cross-origin isolated (the backend falls back to one where it is
      // not): the cores the browser reports, at most MAX_PAGE_THREADS.
      const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
      const wasm = await WasmBackend.create({ threads: Math.max(1, Math.min(cores, MAX_PAGE_THREADS)) });
      this.backend = wasm;
      setDefaultBackend(this.backend);
      this.post({ type: 'ready', backend: 'wasm', adapter: null, threads: wasm.threads });
      return;
    }
    if (kind !== 'webgpu') {
      // cpu, or wasm where this engine has no WebAssembly SIMD: the plain-TypeScript reference.
      this.backend = new CpuBackend();
      setDefaultBackend(this.backend);
      this.post({ type: 'ready', backend: 'cpu', adapter: null });
      return;
    }
    const gpu = await acquireGpu(globalThis.navigator?.gpu);
    const backend = new WebGPUBackend(gpu.device, { subgroups: gpu.subgroups });
    backend.tuner.restore(await loadTuning(backend.tuner.adapterKey));
    this.backend = backend;
    setDefaultBackend(this.backend);
    gpu.device.lost.then((info) => {
      // A destroyed device is ours on purpose; anything else is a loss the page must hear about.
      if (info.reason !== 'destroyed')
        this.post({
          type: 'error',
          kind: 'device-lost',
          message: `The GPU device was lost: ${info.message || info.reason}`,
        });
    });
    this.post({ type: 'ready', backend: 'webgpu', adapter: gpu.summary });
  }

  private requireBackend(): Backend {
    if (!this.backend) throw new Error('the worker was not initialised');
    return this.backend;
  }

  private async loadDataset(source: DatasetSource): Promise<void> {
    const { loaded, ready } = await loadDatasetSource(source, this.post);
    this.data = loaded;
    this.post(ready);
  }

  private setPaused(target: string | LiveRun, paused: boolean): void {
    const run = typeof target === 'string' ? this.runs.get(target) : target;
    if (!run) return;
    run.paused = paused;
    if (!paused) for (const w of run.resumeWaiters.splice(0)) w();
  }

  /** Holds `live` under its id, freeing whatever the id held before. */
  private hold(live: LiveRun): void {
    const old = this.runs.get(live.id);
    this.runs.set(live.id, live);
    if (old && old !== live) this.release(old);
  }

  /** Frees a run the page no longer shows. */
  private disposeRun(runId: string): void {
    const live = this.runs.get(runId);
    if (!live) return;
    this.runs.delete(runId);
    this.release(live);
  }

  /** Frees a run no longer held: now, or, if it trains, once its loop has stopped (see train). */
  private release(live: LiveRun): void {
    if (live.training) {
      live.stopped = true;
      this.setPaused(live, false);
    } else if (live.borrowers > 0) void live.borrowed.then(() => live.dispose());
    else live.dispose();
  }

  /**
   * Runs `f` with a held run's model once the samples before it are done, the run's training loop
   * (if any) waiting between two steps until it is over.
   */
  private async borrow<T>(live: LiveRun, f: () => Promise<T>): Promise<T> {
    live.borrowers++;
    const turn = live.borrowed.then(f);
    live.borrowed = turn.then(
      () => {},
      () => {},
    );
    try {
      return await turn;
    } finally {
      live.borrowers--;
    }
  }

  /** Frees every run, and the backend's pooled memory. */
  dispose(): void {
    for (const id of [...this.runs.keys()]) this.disposeRun(id);
    this.backend?.dispose();
  }

  private async train(
    runId: string,
    spec: ModelSpec,
    pageConfig: TrainConfig,
    resume?: Uint8Array,
  ): Promise<void> {
    const backend = this.requireBackend();
    const loaded = this.data;
    if (!loaded) throw new Error('load a dataset before training');
    // Two runs at once would interleave one global generator (dropout, shuffling): neither would
    // be reproducible. The page's button is not the only sender.
    const busy = [...this.runs.values()].find((r) => r.training);
    if (busy) throw new RunError('config', `run ${busy.id} is training: stop it before starting another`);
    if (this.finding) throw new RunError('config', 'the LR finder is running: stop it before training');
    const config = resolveConfig(pageConfig);
    const source = resume
      ? {
          checkpoint: parseCheckpoint(resume),
          epochs: config.epochs,
          ...(config.steps === null ? {} : { steps: config.steps }),
        }
      : { spec, config };
    const runSpec = 'checkpoint' in source ? source.checkpoint.meta.spec : spec;
    const run = openRun(source, (c) => prepareRunData(backend, loaded, c, runSpec));
    const live: LiveRun = {
      id: runId,
      spec: run.spec,
      model: run.model,
      // A table's features are standardised with the data; only images take these (and have them).
      mean: run.config.mean ?? 0,
      std: run.config.std ?? 1,
      run,
      paused: false,
      stopped: false,
      training: true,
      checkpointWanted: false,
      resumeWaiters: [],
      // A text run's vocabulary is its data's, whether it starts here or resumes a checkpoint.
      vocab: run.data.vocab,
      borrowed: Promise.resolve(),
      borrowers: 0,
      dispose: () => run.dispose(),
    };
    this.hold(live);
    const epochs = run.config.epochs;
    const batchSize = run.config.batchSize;
    let samplesPerSec = 0;
    /** The speed over training time alone: not compiling, validating, checkpointing or paused. */
    const rate = new StepRate();
    /** True while the loop waits in waitWhilePaused. */
    let waiting = false;
    let phase: RunPhase = 'compiling';
    /** The last validation's duration in seconds, and when the current one began (ms). */
    let valSeconds: number | null = null;
    let valStart = 0;
    /** When the run's last checkpoint was taken (or it started), for the timed ones. */
    let lastCheckpoint = performance.now();
    // The first report also says which settings the run trains with (see the protocol's status).
    const status = (state: 'running' | 'paused' | 'stopped' | 'finished' | 'failed', config?: TrainConfig) =>
      this.post({
        type: 'status',
        runId,
        state,
        phase: state === 'running' ? phase : null,
        epoch: run.epoch,
        step: run.globalStep,
        stepsPerEpoch: run.stepsPerEpoch,
        epochs,
        samplesPerSec,
        valSeconds: valSeconds ?? validationEstimate(run.data.val.length, samplesPerSec),
        ...(config ? { config } : {}),
      });
    const yieldNow = pacedYield();
    try {
      status('running', run.config);
      const outcome = await run.fit(
        {
          phase: (next) => {
            if (phase === 'validating') valSeconds = (performance.now() - valStart) / 1000;
            if (next === 'validating') valStart = performance.now();
            if (next === 'training') rate.go(performance.now());
            else rate.halt(performance.now());
            if (next === phase) return;
            phase = next;
            status('running');
          },
          scalars: (scalars) => {
            const { step } = scalars[0];
            if (scalars[0].tag === 'Loss/train')
              samplesPerSec = rate.read(step, performance.now()) * batchSize;
            this.post({ type: 'metrics', runId, step, epoch: run.epoch + 1, scalars });
            // The loss is read one window behind, so a metric can arrive after the loop has paused:
            // it must not report the run as running again (the page would then offer Pause, not Resume).
            if (scalars[0].tag === 'Loss/train') status(waiting ? 'paused' : 'running');
          },
          epoch: async (report) => {
            this.reportEpoch(runId, run, report);
            if (live.vocab !== undefined) await this.runSample(runId, live, live.vocab, report.step);
            if (this.backend instanceof WebGPUBackend) {
              await saveTuning(this.backend.tuner.adapterKey, this.backend.tuner.chosen);
            }
          },
          histograms: (items) => this.postHistograms(runId, items),
          checkpoint: (bytes) => {
            live.checkpointWanted = false;
            lastCheckpoint = performance.now();
            const fileName = `${runId}-epoch${run.epoch}-step${run.globalStep}.safetensors`;
            this.post({
              type: 'checkpoint',
              runId,
              kind: 'auto',
              fileName,
              bytes,
              epoch: run.epoch,
              step: run.globalStep,
            });
          },
        },
        {
          checkpointEvery: 1,
          keepMisclassified: 32,
          histogramsEvery: pageHistogramsEvery(run.stepsPerEpoch),
          shouldStop: () => live.stopped,
          checkpointDue: () =>
            live.checkpointWanted || performance.now() - lastCheckpoint >= AUTO_CHECKPOINT_MS,
          waitWhilePaused: async () => {
            // After the first step (it compiled, and its loss was read: the GPU is done with it).
            if (!rate.started) rate.start(run.globalStep, performance.now());
            // Let pause/stop messages in (at most every 16 ms), then wait while paused and while
            // samples read the weights (time that is not training either).
            await yieldNow();
            const waits = live.borrowers > 0 || (live.paused && !live.stopped);
            if (waits) rate.halt(performance.now());
            for (let b = live.borrowed; ; b = live.borrowed) {
              await b;
              if (b === live.borrowed) break;
            }
            if (live.paused && !live.stopped) {
              waiting = true;
              status('paused');
              await new Promise<void>((r) => live.resumeWaiters.push(r));
              waiting = false;
              if (!live.stopped) status('running');
            }
            if (waits) rate.go(performance.now());
          },
        },
      );
      status(outcome);
    } catch (e) {
      status('failed');
      throw e;
    } finally {
      live.training = false;
      run.releaseData();
      if (this.runs.get(runId) !== live) live.dispose();
    }
  }

  /**
   * The learning-rate range test on a fresh run of the form's model and settings, on a copy of its
   * weights (lr_find.ts), streamed point by point; the run is freed when it ends. Refusals and
   * failures end it with their line (lrFindEnd), never as a run's error.
   */
  private async lrFind(requestId: number, spec: ModelSpec, pageConfig: TrainConfig): Promise<void> {
    const end = (e: unknown) =>
      this.post({
        type: 'lrFindEnd',
        requestId,
        result: null,
        error: e instanceof Error ? e.message : String(e),
      });
    if (this.finding) return end(new Error('the LR finder is already running'));
    const busy = [...this.runs.values()].find((r) => r.training);
    if (busy) return end(new Error(`run ${busy.id} is training: stop it before running the LR finder`));
    const finding = { requestId, stopped: false };
    this.finding = finding;
    try {
      const backend = this.requireBackend();
      const loaded = this.data;
      if (!loaded) throw new Error('load a dataset before running the LR finder');
      const config = resolveConfig(pageConfig);
      const run = openRun({ spec, config }, (c) => prepareRunData(backend, loaded, c, spec));
      try {
        const result = await lrFind(run, {
          shouldStop: () => finding.stopped,
          // Lets the stop message in (at most every 16 ms).
          waitWhilePaused: pacedYield(),
          onPoint: (point) => this.post({ type: 'lrFindPoint', requestId, point }),
        });
        this.post({ type: 'lrFindEnd', requestId, result, error: null });
      } finally {
        run.dispose();
      }
    } catch (e) {
      end(e);
    } finally {
      this.finding = null;
    }
  }

  /**
   * A text run's sample at an evaluation (every evalEvery steps and at its end), for the page's list
   * of samples by step: the record's sample (recordSample, as the CLI's TensorBoard text), always
   * from the same prompt and seed, so two differ only by the weights; it draws from its own
   * generator, so the run's own (dropout, batches) is untouched.
   */
  private async runSample(runId: string, live: LiveRun, vocab: string, step: number): Promise<void> {
    const text = await recordSample(live.model, live.spec, vocab);
    this.post({ type: 'runSample', runId, step, text });
  }

  /** Posts a probe's histograms, their counts as arrays the message hands over without copying. */
  private postHistograms(runId: string, items: HistogramItem[]): void {
    if (!items.length) return;
    const { step, wallTime } = items[0];
    const samples = items.map(({ tag, hist }) => ({ ...hist, tag, counts: Uint32Array.from(hist.counts) }));
    this.post({ type: 'histograms', runId, step, wallTime, items: samples });
  }

  /** Posts an epoch's evaluation, with the misclassified images. */
  private reportEpoch(runId: string, run: Run, report: EpochReport): void {
    const { val } = report;
    const raw = run.data;
    // Only images are shown: a table's rows have no picture.
    const misclassified = val.misclassified.flatMap((m) => {
      const pixels = raw.valPixels(m.position);
      return pixels ? [{ pixels, label: m.label, predicted: m.predicted }] : [];
    });
    this.post({
      type: 'epochEnd',
      runId,
      epoch: report.epoch,
      step: report.step,
      valLoss: val.loss,
      valAcc: val.accuracy,
      perClassAcc: val.perClassAccuracy,
      confusion: val.confusion,
      misclassified,
    });
  }

  private async predict(requestId: number, runId: string, pixels: Float32Array): Promise<void> {
    const live = this.runs.get(runId);
    if (!live) throw new Error(`no run ${runId} to predict with`);
    const backend = this.requireBackend();
    const probs = evaluating(live.model, () =>
      F.softmax(live.model.forward(imageInput(backend, live, pixels))),
    );
    const values = Array.from(await probs.data());
    probs.dispose();
    this.post({ type: 'prediction', requestId, probabilities: values });
  }

  private async inspect(requestId: number, runId: string, pixels: Float32Array): Promise<void> {
    const live = this.runs.get(runId);
    if (!live) throw new Error(`no run ${runId} to inspect`);
    this.post({ type: 'inspection', requestId, ...(await inspect(this.requireBackend(), live, pixels)) });
  }

  /** Streams a sample of the run's current weights; any refusal or failure ends it with its line. */
  private async sample(msg: MessageOf<ToWorker, 'sample'>): Promise<void> {
    const { requestId, runId, ...options } = msg;
    try {
      const live = this.heldRun(runId, 'sample from');
      const vocab = requireVocab(live);
      await this.borrow(live, () =>
        generate(live.model, live.spec, vocab, options, (text) =>
          this.post({ type: 'sampleText', requestId, text }),
        ),
      );
      this.post({ type: 'sampleEnd', requestId, error: null });
    } catch (e) {
      this.post({ type: 'sampleEnd', requestId, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Answers a text inspection, or why there is none. */
  private async inspectText(requestId: number, runId: string, prompt: string): Promise<void> {
    try {
      const live = this.heldRun(runId, 'inspect');
      const vocab = requireVocab(live);
      const inspection = await this.borrow(live, () => inspectText({ ...live, vocab }, prompt));
      this.post({ type: 'textInspection', requestId, inspection, error: null });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.post({ type: 'textInspection', requestId, inspection: null, error });
    }
  }

  private heldRun(runId: string, what: string): LiveRun {
    const live = this.runs.get(runId);
    if (!live) throw new Error(`no run ${runId} to ${what}`);
    return live;
  }

  private async exportCheckpoint(runId: string, kind: 'checkpoint' | 'model'): Promise<void> {
    const live = this.runs.get(runId);
    if (!live) throw new Error(`no run ${runId} to export`);
    if (kind === 'checkpoint' && !live.run) {
      throw new Error('this run holds only a model (loaded from a file): download the model instead');
    }
    const bytes =
      kind === 'checkpoint' && live.run
        ? await live.run.checkpoint()
        : stateDictToSafetensors(await live.model.stateDictData(), {
            model: live.spec.name,
            spec: JSON.stringify(live.spec),
          });
    const fileName = `${runId}${kind === 'checkpoint' ? '-checkpoint' : ''}.safetensors`;
    const at = { epoch: live.run?.epoch ?? 0, step: live.run?.globalStep ?? 0 };
    this.post({ type: 'checkpoint', runId, kind, fileName, bytes, ...at });
  }

  /**
   * Loads a file's model to evaluate and draw on: a full checkpoint (which names its spec and
   * normalisation, and describes its run to the page) or a state dict (whose spec is in its
   * metadata, or given by the page).
   */
  private async importCheckpoint(runId: string, bytes: Uint8Array, fallback?: unknown): Promise<void> {
    this.requireBackend();
    const file = decodeSafetensors(bytes);
    const full = file.metadata[CHECKPOINT_KEY] !== undefined ? parseCheckpoint(bytes) : null;
    const spec =
      full?.meta.spec ??
      stateDictSpec(file.metadata.spec) ??
      this.runs.get(runId)?.spec ??
      (fallback === undefined ? undefined : read(modelSpec, fallback, 'model'));
    if (!spec)
      throw new Error('the file does not say which model it holds, and no run is selected to load it into');
    // Read as --init reads it: NaN or infinite weights refused naming the tensor, before any use.
    const state = full ? full.model : modelStateFromFile(bytes);
    checkStateFitsSpec(state, spec);
    const model = buildModel(spec);
    try {
      model.loadStateDict(state);
    } catch (e) {
      for (const t of model.stateDict().values()) t.dispose();
      throw e;
    }
    const config = full?.meta.config;
    this.hold({
      id: runId,
      spec,
      model,
      mean: config?.mean ?? MNIST_NORMALIZATION.mean,
      std: config?.std ?? MNIST_NORMALIZATION.std,
      paused: false,
      stopped: true,
      training: false,
      checkpointWanted: false,
      resumeWaiters: [],
      vocab: full?.meta.vocab,
      borrowed: Promise.resolve(),
      borrowers: 0,
      dispose: () => {
        for (const t of model.stateDict().values()) if (!t.isDisposed) t.dispose();
      },
    });
    const run = full
      ? {
          config: full.meta.config,
          epoch: full.meta.epoch,
          step: full.meta.globalStep,
          loss: full.meta.loss,
          dataset: full.meta.dataset?.name ?? null,
          trainSamples: full.meta.trainSamples,
          history: full.meta.history ?? [],
        }
      : undefined;
    this.post({ type: 'checkpointLoaded', runId, model: spec, run });
  }
}

/** A held run's vocabulary, or one line saying why it has none (an image model, or no vocabulary known). */
function requireVocab(live: LiveRun): string {
  return checkpointVocab({ spec: live.spec, vocab: live.vocab });
}

/**
 * How often a training run keeps a checkpoint in between epochs, in ms: a reload or a closed tab
 * (where the page's last-moment request may not get through) loses at most this much training.
 */
export const AUTO_CHECKPOINT_MS = 2 * 60_000;

/**
 * How often the page's runs count histograms: every 50 steps (the interval whose cost `npm run
 * bench` reports), more often in short epochs (down to every 10) so a small run still shows a few.
 */
export function pageHistogramsEvery(stepsPerEpoch: number): number {
  return Math.min(50, Math.max(10, Math.ceil(stepsPerEpoch / 10)));
}

/** The model spec a state dict names in its metadata (as Kiln writes it), checked; undefined when none. */
function stateDictSpec(json: string | undefined): ModelSpec | undefined {
  if (json === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new StateDictError("the file's model spec metadata is damaged (not valid JSON)");
  }
  try {
    return read(modelSpec, raw);
  } catch (e) {
    if (e instanceof SchemaError) throw new StateDictError(`the file's model spec is invalid: ${e.message}`);
    throw e;
  }
}

/** Refuses a state dict whose values could not fill the spec's model, before the model is built. */
function checkStateFitsSpec(state: Map<string, HostTensor>, spec: ModelSpec): void {
  const described = countStateValues(spec);
  const carried = [...state.values()].reduce((n, t) => n + t.data.length, 0);
  if (described !== carried) {
    throw new StateDictError(
      `the file holds ${carried} values, the model ${spec.name} has ${described}: it is not this model's state dict`,
    );
  }
}

/**
 * Seconds a validation pass should take before one has been timed: a forward pass costs about a
 * third of a training step (no backward, no update), so val samples at 3x the training rate.
 */
function validationEstimate(valSamples: number, samplesPerSec: number): number | null {
  return samplesPerSec > 0 ? valSamples / (3 * samplesPerSec) : null;
}
