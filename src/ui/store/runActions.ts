/**
 * What the user does to runs: train, pause, resume, stop, delete, and take a run's settings back
 * into the builder and form. Each action is small and does one thing; the worker hears of it
 * through the link.
 */
import type { StateCreator } from 'zustand';
import { link } from '../link';
import type { KilnState } from './index';
import { guardWrite, saveHistograms, saveRun } from './persist';
import { interrupted, type RunRecord } from './runsSlice';
import type { DatasetInfo } from './sessionSlice';

/** The run actions. */
export interface RunActions {
  /** Starts a new run of the builder's model with the form's settings, shows it, and returns its id. */
  trainRun: () => string;
  /** Pauses a training run at its next logging point. */
  pauseRun: (id: string) => void;
  /**
   * Resumes a paused run, or continues a stopped one from its stored checkpoint with the
   * checkpoint's own settings.
   */
  resumeRun: (id: string) => Promise<void>;
  /** Stops a run after its current step; the worker then stores a checkpoint there for resuming. */
  stopRun: (id: string) => void;
  /**
   * Asks the worker for a checkpoint of each training run after its current step, which it stores
   * as it stores the epochs' (the page is being hidden or going away: a reload then resumes there).
   */
  checkpointTraining: () => void;
  /**
   * Deletes a run and its checkpoint, and frees what the worker holds for it; both are kept in
   * memory as `deletedRun` until the next delete, for undoDelete.
   */
  deleteRun: (id: string) => Promise<void>;
  /** Puts the last deleted run and its checkpoint back, stopped where it was (resumable from its checkpoint). */
  undoDelete: () => Promise<void>;
  /** Puts a run's model in the builder and its settings in the form, to start a new run with them. */
  loadRunSettings: (id: string) => void;
}

/**
 * Why the data loaded now cannot resume `run`: it trained on a dataset of another name, or the
 * worker found the data differ (a data-mismatch error). Null when nothing says so.
 */
export function dataProblem(run: RunRecord, info: DatasetInfo | null): string | null {
  if (run.error?.kind === 'data-mismatch') return run.error.message;
  if (run.dataset && info && run.dataset !== info.name)
    return `it trained on ${run.dataset}; the data loaded now are ${info.name}`;
  return null;
}

/** Why `run` cannot be resumed now, in words for the Resume button's hint; null when it can. */
export function whyNotResumable(
  run: RunRecord,
  s: Pick<KilnState, 'dataset' | 'workerBackend'>,
): string | null {
  if (run.state === 'paused') return link.holds(run.id) ? null : 'the worker no longer holds this run';
  if (run.state !== 'stopped' && run.state !== 'failed') return 'the run is not stopped';
  if (run.modelOnly) return 'the file held only a model, not a run to continue';
  if (!run.hasCheckpoint) return 'the run has no stored checkpoint';
  if ((run.checkpointEpoch ?? run.epoch) >= run.config.epochs) return 'the run has done all its epochs';
  if (!s.workerBackend || s.dataset.status !== 'ready') return 'waiting for the dataset to load';
  return dataProblem(run, s.dataset.info);
}

/**
 * Starts a new run in the worker on the loaded data (`model` with `config`, named `name` or by its
 * model, tagged with its sweep where it is one of a sweep's), shows it and stores its record;
 * returns its id.
 */
export function launchRun(
  get: () => KilnState,
  run: Pick<RunRecord, 'model' | 'config'> & Partial<Pick<RunRecord, 'name' | 'sweep'>>,
): string {
  const s = get();
  const id = `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const classes = s.dataset.info?.classes;
  s.addRun({ id, ...run, dataset: s.dataset.info?.name ?? 'mnist', ...(classes ? { classes } : {}) });
  s.setActiveRun(id);
  link.setHeld(id, true);
  link.send({ type: 'train', runId: id, model: run.model, config: run.config });
  saveRun(get, id);
  return id;
}

/** Creates the run actions. */
export const createRunActions: StateCreator<KilnState, [], [], RunActions> = (set, get) => ({
  trainRun: () => launchRun(get, { model: get().spec, config: get().config }),
  pauseRun: (id) => link.send({ type: 'pause', runId: id }),
  checkpointTraining: () => {
    // Queued too: the page hears that a run started only at its next redraw.
    for (const r of get().runs)
      if ((r.state === 'running' || r.state === 'queued') && link.holds(r.id))
        link.send({ type: 'checkpointNow', runId: r.id });
  },
  resumeRun: async (id) => {
    const run = get().runs.find((r) => r.id === id);
    if (!run) return;
    if (run.state === 'paused' && link.holds(id)) {
      link.send({ type: 'resume', runId: id });
      return;
    }
    const bytes = await (await link.db())?.checkpoint(id);
    if (!bytes) {
      get().applyRunMessage({
        type: 'error',
        kind: 'bad-input',
        runId: id,
        message: 'this run has no stored checkpoint to resume from',
      });
      return;
    }
    get().queueResume(id);
    get().setActiveRun(id);
    link.setHeld(id, true);
    // The worker trains on with the checkpoint's own settings; only the epochs in all come from here.
    link.send({ type: 'train', runId: id, model: run.model, config: run.config, resume: bytes });
  },
  stopRun: (id) => link.send({ type: 'stop', runId: id }),
  deleteRun: async (id) => {
    const s = get();
    const run = s.runs.find((r) => r.id === id);
    if (!run) return;
    link.send({ type: 'disposeRun', runId: id });
    link.setHeld(id, false);
    s.removeRun(id);
    if (s.activeRunId === id) {
      const rest = get().runs;
      s.setActiveRun(rest.length ? rest[rest.length - 1].id : null);
    }
    const checkpoint = (await (await link.db())?.checkpoint(id)) ?? null;
    set({ deletedRun: { run, checkpoint } });
    await guardWrite(get, (db) => db.delete(id));
  },
  undoDelete: async () => {
    const deleted = get().deletedRun;
    if (!deleted) return;
    set({ deletedRun: null });
    // The worker freed the run's model: what it was training goes back as stopped, at its checkpoint.
    const { checkpoint } = deleted;
    const run = { ...interrupted(deleted.run), hasCheckpoint: checkpoint !== null };
    get().restoreRuns([run]);
    get().setActiveRun(run.id);
    await guardWrite(get, async (db) => {
      await db.put(run);
      if (checkpoint) await db.putCheckpoint(run.id, checkpoint);
    });
    saveHistograms(get, run.id, true);
  },
  loadRunSettings: (id) => {
    const run = get().runs.find((r) => r.id === id);
    if (!run) return;
    // A run's mean and std are what its data gave (computed), not what the user typed: a new run
    // computes its own, so a table run is not refused over values its hidden fields cannot show.
    get().applySetup({ model: run.model, config: { ...run.config, mean: null, std: null } });
  },
});
