/**
 * Sweeps on the page: the form's settings with some of them varied (train/sweep.ts), trained one
 * run after another in the worker, each an ordinary run record tagged with its sweep. The queue and
 * the sweep's state are kept in IndexedDB (runs/sweepDb.ts), so a reload goes on where the sweep
 * was: the run in hand resumes from its stored checkpoint (or starts again without one), then the
 * rest follow. Pause, Resume and Stop act on the sweep: on its run in hand, and on whether the next
 * one starts.
 */

import { applyPoint, ConfigError, checkSweep, type SweepSpec, sweepName } from 'kiln/config';
import type { StateCreator } from 'zustand';
import { link } from '../link';
import type { SweepRecord } from '../runs/sweepDb';
import type { KilnState } from './index';
import { guardWrite, saveRun } from './persist';
import { launchRun } from './runActions';

/** The sweeps slice. */
export interface SweepSlice {
  /** This browser's sweeps, oldest first. */
  sweeps: SweepRecord[];
  /**
   * Starts a sweep of the builder's model with the form's settings, `spec` varying some of them.
   * Every run's config is checked first: resolves to null once the first run is under way, or to
   * why the sweep was refused (one sentence naming the run and the setting), nothing started.
   */
  startSweep: (spec: SweepSpec) => Promise<string | null>;
  /** Pauses a sweep: its run in hand pauses, and no other starts. */
  pauseSweep: (id: string) => void;
  /**
   * Goes on with a paused or stopped sweep: its run in hand resumes (from its checkpoint after a
   * reload or a stop, or starts again without one), then the rest follow.
   */
  resumeSweep: (id: string) => Promise<void>;
  /** Stops a sweep: its run in hand stops after its step (a checkpoint kept), and no other starts. */
  stopSweep: (id: string) => void;
  /** A run reported its end (finished, failed or stopped): its sweep starts the next run, or ends. */
  sweepRunEnded: (runId: string) => void;
  /** Puts back the sweeps of earlier visits (after the runs), and goes on with a running one. */
  restoreSweeps: () => Promise<void>;
  /** Goes on with each running sweep not yet under way in this page, once its data are loaded. */
  continueSweeps: () => void;
}

/**
 * A sweep's name: the settings it varies ('lr × seed'), numbered after the first sweep of the same
 * settings ('lr × seed #2'), so that its runs are told from an earlier sweep's.
 */
export function sweepTitle(spec: SweepSpec, taken: string[]): string {
  const base = spec.axes.map((a) => sweepName(a.field)).join(' × ');
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base} #${n}`;
  return name;
}

/** Creates the sweeps slice. */
export const createSweepSlice: StateCreator<KilnState, [], [], SweepSlice> = (set, get) => {
  /** Whether the stored sweeps have been read back (a running one waits for them and for the data). */
  let restored = false;
  /** Sweeps this page has taken up: each goes on once after a reload, not at every dataset load. */
  const underWay = new Set<string>();

  const find = (id: string) => get().sweeps.find((w) => w.id === id);

  /** Changes a sweep in the page and in storage. */
  const update = (id: string, f: (w: SweepRecord) => SweepRecord): SweepRecord | undefined => {
    set(({ sweeps }) => ({ sweeps: sweeps.map((w) => (w.id === id ? f(w) : w)) }));
    const sweep = find(id);
    if (sweep)
      void link
        .sweepDb()
        .then((d) => d?.put(sweep))
        .catch((e) =>
          get().setNotice({
            kind: 'warn',
            title: 'Could not save the sweep',
            message: `${e instanceof Error ? e.message : String(e)}. A reload would not go on with it.`,
          }),
        );
    return sweep;
  };

  /** Starts the sweep's run in hand as a new run record. */
  const startCurrent = (sweep: SweepRecord) => {
    const i = sweep.current;
    const item = sweep.runs[i];
    const runId = launchRun(get, {
      model: sweep.model,
      config: item.config,
      name: item.name,
      sweep: { id: sweep.id, name: sweep.name, index: i, count: sweep.runs.length },
    });
    update(sweep.id, (w) => ({ ...w, runs: w.runs.map((r, j) => (j === i ? { ...r, runId } : r)) }));
  };

  /** The run in hand is done: the next starts (if the sweep is running), or the sweep has finished. */
  const advance = (sweep: SweepRecord) => {
    const next = sweep.current + 1;
    const after = update(sweep.id, (w) => ({
      ...w,
      current: next,
      state: next >= w.runs.length ? 'finished' : w.state,
    }));
    if (after && after.state === 'running') startCurrent(after);
  };

  /** Takes up the sweep's run in hand, wherever it stands. */
  const goOn = async (sweep: SweepRecord) => {
    const item = sweep.runs[sweep.current];
    if (!item) return;
    const run = item.runId ? get().runs.find((r) => r.id === item.runId) : undefined;
    if (!run) return startCurrent(sweep);
    if (run.state === 'finished' || run.state === 'failed') return advance(sweep);
    // Done, though the page went away before its last report was stored: finished.
    const steps = run.config.steps;
    if (steps === null ? run.epoch >= run.config.epochs : run.step >= steps) {
      get().setRunState(run.id, 'finished');
      saveRun(get, run.id);
      return advance(sweep);
    }
    if (run.state === 'running' || run.state === 'queued') return;
    if (run.state === 'paused' && link.holds(run.id)) return get().resumeRun(run.id);
    if (run.hasCheckpoint) return get().resumeRun(run.id);
    // Nothing of it was kept (stopped or reloaded before its first checkpoint): it starts again.
    get().removeRun(run.id);
    await guardWrite(get, (d) => d.delete(run.id));
    startCurrent(sweep);
  };

  return {
    sweeps: [],
    startSweep: async (spec) => {
      const s = get();
      const busy = s.sweeps.find((w) => w.state === 'running' || w.state === 'paused');
      if (busy) return `the sweep ${busy.name} is under way: stop it before starting another`;
      const info = s.dataset.info;
      let runs: ReturnType<typeof checkSweep>;
      try {
        // The draws come from the engine's generator, loaded on demand (the page loads no engine).
        const { drawSweep } = await import('kiln/train');
        runs = checkSweep(
          drawSweep(spec),
          (p) => applyPoint(s.config, p),
          info && !info.text ? { trainSize: info.trainSize, hasTestSet: info.testSize > 0 } : undefined,
        );
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      const sweep: SweepRecord = {
        id: `sweep-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
        name: sweepTitle(
          spec,
          s.sweeps.map((w) => w.name),
        ),
        createdAt: Date.now(),
        model: s.spec,
        dataset: info?.name ?? 'mnist',
        runs: runs.map((r) => ({ name: r.name, config: r.config, runId: null })),
        current: 0,
        state: 'running',
      };
      underWay.add(sweep.id);
      set(({ sweeps }) => ({ sweeps: [...sweeps, sweep] }));
      startCurrent(sweep);
      return null;
    },
    pauseSweep: (id) => {
      const sweep = update(id, (w) => ({ ...w, state: 'paused' }));
      const runId = sweep?.runs[sweep.current]?.runId;
      if (runId) get().pauseRun(runId);
    },
    resumeSweep: async (id) => {
      const sweep = update(id, (w) => ({ ...w, state: w.current >= w.runs.length ? 'finished' : 'running' }));
      if (sweep?.state === 'running') {
        underWay.add(id);
        await goOn(sweep);
      }
    },
    stopSweep: (id) => {
      const sweep = update(id, (w) => ({ ...w, state: 'stopped' }));
      const runId = sweep?.runs[sweep.current]?.runId;
      if (runId) get().stopRun(runId);
    },
    sweepRunEnded: (runId) => {
      const sweep = get().sweeps.find((w) => w.runs[w.current]?.runId === runId);
      const run = get().runs.find((r) => r.id === runId);
      if (!sweep || !run) return;
      if (run.state === 'stopped') {
        // A stop of its run in hand (from the runs list too) stops the sweep.
        if (sweep.state === 'running' || sweep.state === 'paused')
          update(sweep.id, (w) => ({ ...w, state: 'stopped' }));
        return;
      }
      if (run.state === 'finished' || run.state === 'failed') advance(sweep);
    },
    restoreSweeps: async () => {
      // What storage holds is the whole truth now (a page opening): none of it is under way yet.
      restored = false;
      underWay.clear();
      const stored = (await (await link.sweepDb())?.list()) ?? [];
      set(({ sweeps }) => ({
        sweeps: [...stored.filter((w) => !sweeps.some((x) => x.id === w.id)), ...sweeps],
      }));
      restored = true;
      get().continueSweeps();
    },
    continueSweeps: () => {
      const s = get();
      if (!restored || s.dataset.status !== 'ready' || !s.workerBackend) return;
      for (const sweep of s.sweeps) {
        if (sweep.state !== 'running' || underWay.has(sweep.id) || s.dataset.info?.name !== sweep.dataset)
          continue;
        underWay.add(sweep.id);
        void goOn(sweep);
      }
    },
  };
};
