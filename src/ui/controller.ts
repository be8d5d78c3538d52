/**
 * The page's conductor: starts the worker, routes its reports into the store and the run database,
 * and turns user actions (Train, Pause, Upload checkpoint…) into commands. Components call these
 * actions; they never talk to the worker themselves.
 */
import type { ModelSpec } from '../nn/spec';
import { exportPytorch } from '../train/export_pytorch';
import { WorkerClient } from '../worker/client';
import type { Backend, FromWorker, MessageOf, TrainConfig } from '../worker/protocol';
import { RunDb, StorageFullError } from './runs/runDb';
import { useKiln } from './store';
import type { RunRecord } from './store/runsSlice';

const store = useKiln;

/** How long run reports are gathered before the page redraws with them. */
const FLUSH_MS = 500;

/** Saves `bytes` as a file through a temporary download link. */
export function downloadBytes(
  bytes: Uint8Array | string,
  fileName: string,
  type = 'application/octet-stream',
): void {
  // Blob wants ArrayBuffer-backed views; a copy also keeps a transferred buffer's owner out of it.
  const part = typeof bytes === 'string' ? bytes : new Uint8Array(bytes);
  const url = URL.createObjectURL(new Blob([part], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start reading the blob only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file-name-safe version of a run's name. */
export function fileStem(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
}

class Controller {
  private client: WorkerClient | null = null;
  private backend: Backend = 'webgpu';
  private db: Promise<RunDb | null> = Promise.resolve(null);
  /** Runs whose model the current worker holds (trained or imported since it started). */
  private readonly loaded = new Set<string>();
  private readonly pending = new Map<number, (p: number[]) => void>();
  private nextRequest = 1;
  private datasetPending = false;
  /** Runs to resume from their checkpoints once a fresh worker (after a lost device) is ready. */
  private readonly resumeAfterBoot = new Set<string>();
  /** Run reports waiting for the next flush: the page redraws a few times a second, not per report. */
  private queue: FromWorker[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  /** Starts the worker on `backend`, loads MNIST and restores stored runs. Idempotent. */
  start(backend: Backend): void {
    if (this.client) return;
    this.backend = backend;
    this.db = RunDb.open().catch(() => null);
    void this.restoreRuns();
    this.boot();
  }

  private boot(): void {
    const client = WorkerClient.start();
    this.client = client;
    this.loaded.clear();
    client.subscribe((msg) => this.onMessage(msg));
    client.send({ type: 'init', backend: this.backend });
    this.loadDataset('mnist');
  }

  private async restoreRuns(): Promise<void> {
    const db = await this.db;
    if (!db) return;
    const runs = await db.list();
    // A run that was training when the page closed was interrupted: it can resume from its checkpoint.
    const interrupted = (r: RunRecord) =>
      r.state === 'running' || r.state === 'paused' || r.state === 'queued';
    store.getState().restoreRuns(runs.map((r) => (interrupted(r) ? { ...r, state: 'stopped' } : r)));
    const s = store.getState();
    if (!s.activeRunId && runs.length) s.setActiveRun(runs[runs.length - 1].id);
  }

  private send(msg: Parameters<WorkerClient['send']>[0]): void {
    this.client?.send(msg);
  }

  private loadDataset(name: string): void {
    this.datasetPending = true;
    store.getState().startDatasetLoad(name);
    this.send({ type: 'loadDataset', source: { kind: 'builtin', id: 'mnist' } });
  }

  /** Loads the built-in MNIST again (after the user's dataset, or after clearing the cache). */
  loadMnist(): void {
    this.loadDataset('mnist');
  }

  /** Reads the user's files and asks the worker to parse and cache them as a dataset. */
  async addUserDataset(files: File[]): Promise<void> {
    const name = datasetName(files);
    const named = await Promise.all(
      files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    this.datasetPending = true;
    store.getState().startDatasetLoad(name);
    this.send({ type: 'loadDataset', source: { kind: 'files', name, files: named } });
  }

  private onMessage(msg: FromWorker): void {
    const s = store.getState();
    switch (msg.type) {
      case 'ready':
        s.setWorkerBackend(msg.backend);
        return;
      case 'datasetProgress':
        s.datasetProgress(msg.file, { loadedBytes: msg.loadedBytes, totalBytes: msg.totalBytes });
        return;
      case 'datasetReady': {
        this.datasetPending = false;
        const { type: _, ...info } = msg;
        s.datasetReady(info);
        for (const id of this.resumeAfterBoot) void this.resume(id);
        this.resumeAfterBoot.clear();
        // A small dataset gets a validation split it can afford (a tenth) instead of MNIST's 5,000.
        if (s.config.valSplit >= info.trainSize)
          s.setConfig({ valSplit: Math.max(1, Math.round(info.trainSize / 10)) });
        return;
      }
      case 'metrics':
      case 'status':
      case 'epochEnd': {
        this.queue.push(msg);
        const settled = msg.type === 'epochEnd' || (msg.type === 'status' && msg.state !== 'running');
        if (settled) {
          this.flush();
          this.persist(msg.runId);
        } else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
        return;
      }
      case 'checkpoint':
        if (msg.kind === 'auto') void this.storeCheckpoint(msg.runId, msg.bytes);
        else {
          const run = s.runs.find((r) => r.id === msg.runId);
          const stem = fileStem(run?.name ?? msg.runId);
          downloadBytes(
            msg.bytes,
            msg.kind === 'model' ? `${stem}.safetensors` : `${stem}-checkpoint.safetensors`,
          );
        }
        return;
      case 'prediction':
        this.pending.get(msg.requestId)?.(msg.probabilities);
        this.pending.delete(msg.requestId);
        return;
      case 'checkpointLoaded':
        this.loaded.add(msg.runId);
        return;
      case 'error':
        this.onError(msg);
        return;
    }
  }

  private flush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length) store.getState().applyRunMessages(batch);
  }

  private onError(msg: MessageOf<FromWorker, 'error'>): void {
    const s = store.getState();
    if (msg.kind === 'device-lost') {
      // The device (and every run on it) is gone: pause what was training, start a fresh worker,
      // and once it has the dataset again, resume those runs from their last checkpoints.
      for (const r of s.runs)
        if (r.state === 'running' || r.state === 'paused') {
          s.setRunState(r.id, 'stopped');
          if (r.state === 'running' && r.hasCheckpoint) this.resumeAfterBoot.add(r.id);
        }
      s.setNotice({
        kind: 'error',
        title: 'The GPU device was lost',
        message: `${msg.message}. Training has paused; on a new device it resumes from the last checkpoint.`,
      });
      this.client?.terminate();
      this.client = null;
      this.boot();
      return;
    }
    if (msg.kind === 'quota') {
      s.setNotice({
        kind: 'warn',
        title: 'Storage is full',
        message: `${msg.message}. Nothing already stored was lost; free space by clearing cached datasets or deleting old runs.`,
      });
      return;
    }
    this.flush();
    if (msg.runId) {
      if (s.runs.some((r) => r.id === msg.runId)) {
        s.applyRunMessage(msg);
        this.persist(msg.runId);
      }
      return;
    }
    if (this.datasetPending) {
      this.datasetPending = false;
      s.datasetFailed(msg.message);
      return;
    }
    if (msg.kind === 'no-webgpu' && this.backend === 'webgpu') {
      // The probe saw an adapter but the worker could not get one: fall back rather than strand the page.
      s.setNotice({
        kind: 'warn',
        title: 'WebGPU failed in the worker; using the CPU backend',
        message: msg.message,
      });
      this.backend = 'cpu';
      this.send({ type: 'init', backend: 'cpu' });
      return;
    }
    s.setNotice({ kind: 'error', title: 'The training worker reported an error', message: msg.message });
  }

  private async storeCheckpoint(runId: string, bytes: Uint8Array): Promise<void> {
    store.getState().markCheckpoint(runId);
    await this.guard(async (db) => db.putCheckpoint(runId, bytes));
    this.persist(runId);
  }

  private persist(runId: string): void {
    const run = store.getState().runs.find((r) => r.id === runId);
    if (run) void this.guard((db) => db.put(run));
  }

  // Runs a database write; a full disk becomes a notice, never a lost run.
  private async guard(write: (db: RunDb) => Promise<void>): Promise<void> {
    const db = await this.db;
    if (!db) return;
    try {
      await write(db);
    } catch (e) {
      store.getState().setNotice({
        kind: 'warn',
        title: e instanceof StorageFullError ? 'Storage is full' : 'Could not save the run',
        message:
          e instanceof StorageFullError
            ? 'The browser refused to store more data. Everything stored before is intact; clear cached datasets or delete old runs to make room.'
            : String(e),
      });
    }
  }

  /** Starts a new run of `model` with `config` on the loaded dataset, and shows it. */
  train(model: ModelSpec, config: TrainConfig): string {
    const s = store.getState();
    const id = `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    s.addRun({ id, model, config, dataset: s.dataset.info?.name ?? 'mnist' });
    s.setActiveRun(id);
    this.loaded.add(id);
    this.send({ type: 'train', runId: id, model, config });
    this.persist(id);
    return id;
  }

  /** Pauses a training run at its next logging point. */
  pause(runId: string): void {
    this.send({ type: 'pause', runId });
  }

  /** Resumes a paused run, or restarts a stopped one from its stored checkpoint. */
  async resume(runId: string): Promise<void> {
    const s = store.getState();
    const run = s.runs.find((r) => r.id === runId);
    if (!run) return;
    if (run.state === 'paused' && this.loaded.has(runId)) {
      this.send({ type: 'resume', runId });
      return;
    }
    const db = await this.db;
    const bytes = await db?.checkpoint(runId);
    if (!bytes) {
      s.applyRunMessage({
        type: 'error',
        kind: 'bad-input',
        runId,
        message: 'this run has no stored checkpoint to resume from',
      });
      return;
    }
    // The stored checkpoint is a full one (after each epoch, and where a stop happened): the worker
    // continues its counters exactly. Drop what was logged after it (an interrupted epoch).
    const at = {
      step: run.checkpointStep ?? run.epoch * run.stepsPerEpoch,
      epoch: run.checkpointEpoch ?? run.epoch,
    };
    store.setState(({ runs }) => ({
      runs: runs.map((r) =>
        r.id === runId
          ? {
              ...r,
              state: 'queued',
              error: null,
              epoch: at.epoch,
              step: at.step,
              series: Object.fromEntries(
                Object.entries(r.series).map(([tag, pts]) => [tag, pts.filter((p) => p.step <= at.step)]),
              ),
            }
          : r,
      ),
    }));
    s.setActiveRun(runId);
    this.loaded.add(runId);
    this.send({ type: 'train', runId, model: run.model, config: run.config, resume: bytes });
  }

  /** Stops a run after its current step; the worker then saves a checkpoint there for resuming. */
  stop(runId: string): void {
    this.send({ type: 'stop', runId });
  }

  /** Makes sure the worker holds `run`'s model, loading its stored checkpoint when it does not. */
  private async ensureLoaded(run: RunRecord): Promise<boolean> {
    if (this.loaded.has(run.id)) return true;
    const client = this.client;
    const bytes = await (await this.db)?.checkpoint(run.id);
    if (!client || !bytes) return false;
    const done = Promise.race([
      client.next('checkpointLoaded', (m) => m.runId === run.id).then(() => true),
      client.next('error', (m) => m.runId === run.id).then(() => false),
    ]);
    client.send({ type: 'importCheckpoint', runId: run.id, bytes, model: run.model });
    return done;
  }

  /** The run's class probabilities for one image ([0, 1] pixels), or null if it has no weights to use. */
  async predict(runId: string, pixels: Float32Array): Promise<number[] | null> {
    const run = store.getState().runs.find((r) => r.id === runId);
    if (!run || !(await this.ensureLoaded(run))) return null;
    const requestId = this.nextRequest++;
    const result = new Promise<number[]>((resolve) => this.pending.set(requestId, resolve));
    this.send({ type: 'predict', requestId, runId, pixels });
    return result;
  }

  /** Downloads a run's full checkpoint or its model's state dict (.safetensors). */
  async exportCheckpoint(runId: string, kind: 'checkpoint' | 'model'): Promise<void> {
    const run = store.getState().runs.find((r) => r.id === runId);
    if (!run) return;
    // A run the worker is not training: its stored checkpoint is the full one to download.
    if (
      kind === 'checkpoint' &&
      !(this.loaded.has(runId) && run.state !== 'stopped' && run.state !== 'finished')
    ) {
      const bytes = await (await this.db)?.checkpoint(runId);
      if (bytes) {
        downloadBytes(bytes, `${fileStem(run.name)}-checkpoint.safetensors`);
        return;
      }
    }
    if (!(await this.ensureLoaded(run))) {
      store.getState().setNotice({
        kind: 'warn',
        title: 'Nothing to download yet',
        message: `${run.name} has no weights stored: train it for an epoch first.`,
      });
      return;
    }
    this.send({ type: 'exportCheckpoint', runId, kind });
  }

  /** Downloads `train.py`: the PyTorch program for this run's model and configuration. */
  exportPytorch(runId: string): void {
    const run = store.getState().runs.find((r) => r.id === runId);
    if (run) downloadBytes(exportPytorch(run.model, run.config), 'train.py', 'text/x-python');
  }

  /**
   * Loads a checkpoint file as a new run to evaluate and draw with. Resolves with an error message
   * when the file is refused; nothing stored changes then.
   */
  async uploadCheckpoint(file: File, fallback: ModelSpec): Promise<string | null> {
    const client = this.client;
    if (!client) return 'the training worker is not running';
    const bytes = new Uint8Array(await file.arrayBuffer());
    const kept = bytes.slice();
    const id = `upload-${Date.now().toString(36)}`;
    const outcome = Promise.race([
      client.next('checkpointLoaded', (m) => m.runId === id),
      client.next('error', (m) => m.runId === id),
    ]);
    client.send({ type: 'importCheckpoint', runId: id, bytes, model: fallback });
    const reply = await outcome;
    if (reply.type === 'error') return `${file.name}: ${reply.message}`;
    const s = store.getState();
    this.loaded.add(id);
    s.addRun({
      id,
      model: reply.model,
      config: s.config,
      dataset: s.dataset.info?.name ?? 'mnist',
      name: file.name.replace(/\.safetensors$/, ''),
      state: 'stopped',
      hasCheckpoint: true,
    });
    s.setActiveRun(id);
    await this.guard((db) => db.putCheckpoint(id, kept));
    this.persist(id);
    return null;
  }

  /** Renames a run, in the page and in storage. */
  rename(runId: string, name: string): void {
    store.getState().renameRun(runId, name);
    this.persist(runId);
  }

  /** Deletes a run and its checkpoint (stopping it first if it trains). */
  async remove(runId: string): Promise<void> {
    const s = store.getState();
    const run = s.runs.find((r) => r.id === runId);
    if (run && (run.state === 'running' || run.state === 'paused')) this.stop(runId);
    s.removeRun(runId);
    if (s.activeRunId === runId) {
      const rest = store.getState().runs;
      s.setActiveRun(rest.length ? rest[rest.length - 1].id : null);
    }
    await this.guard((db) => db.delete(runId));
  }
}

/** A dataset name from the user's files: the common stem of an IDX pair, or the CSV's name. */
function datasetName(files: File[]): string {
  const stem = (f: File) => f.name.replace(/\.gz$/i, '').replace(/\.(csv|idx\d?-ubyte|ubyte)$/i, '');
  const first = stem(files[0] ?? new File([], 'dataset'));
  const common = first.replace(/[-_.]?(train|t10k|test)?[-_.]?(images|labels)?[-_.]?idx\d-ubyte$/i, '');
  // Files under MNIST's own names (train-images-idx3-ubyte…) say nothing of the dataset: a generic name.
  return common.replace(/[-_.]+(images|labels)$/i, '') || 'my-dataset';
}

/** The page's one controller. */
export const controller = new Controller();
