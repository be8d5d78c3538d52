/** Training runs as the page knows them: what the worker reported, folded into chartable series. */

import type { ModelSpec } from 'kiln/spec';
import type { StateCreator } from 'zustand';
import type {
  FromWorker,
  MessageOf,
  Misclassified,
  RunPhase,
  RunState,
  Scalar,
  TrainConfig,
  WorkerErrorKind,
} from '../../worker/protocol';
import { RUN_COLORS } from '../charts/palette';
import type { ChartPoint, ChartRun } from '../charts/types';
import type { UnreadableRun } from '../runs/runDb';
import { fitNotes, fitRunName, fitTags, MAX_RUN_NAME } from '../runs/storedRun';
import type { KilnState } from './index';
import { guardWrite, saveRun } from './persist';

/** The last validation pass of a run. */
export interface EpochReport {
  epoch: number;
  valLoss: number;
  valAcc: number;
  perClassAcc: number[];
  confusion: number[][];
  misclassified: Misclassified[];
}

/** One run: its setup, its progress and its logged series (whether it diverged is its error's to say). */
export interface RunRecord extends Omit<ChartRun, 'diverged'> {
  model: ModelSpec;
  config: TrainConfig;
  /** The dataset it trained on. */
  dataset: string;
  /** That dataset's class names by index, where its labels were names (a CSV's `species`). */
  classes?: string[];
  state: RunState;
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Known once the worker has split the dataset; 0 before. */
  stepsPerEpoch: number;
  samplesPerSec: number;
  /** What a running run is doing (absent in records of older visits). */
  phase?: RunPhase | null;
  /** Seconds one of its validation passes takes (timed or estimated by the worker). */
  valSeconds?: number | null;
  lastEpoch: EpochReport | null;
  error: { kind: WorkerErrorKind; message: string } | null;
  /** The run holds only a model's weights (an uploaded state dict): it can be evaluated, not resumed. */
  modelOnly?: boolean;
  /** A text run's samples at its evaluations (the worker's runSample), by step: how it learned to write. */
  samples?: RunSample[];
  /** Whether a checkpoint of this run is stored, so it can be resumed or evaluated after a reload. */
  hasCheckpoint: boolean;
  /** Where the stored checkpoint was taken (completed epochs, global step): where a resume continues. */
  checkpointEpoch?: number;
  checkpointStep?: number;
  createdAt: number;
  /** When the run came into this page from a file (an upload), apart from when it was created. */
  uploadedAt?: number;
  /** The user's notes on the run (what was tried, what it showed); absent in older records. */
  notes?: string;
  /** The user's labels for the run ("baseline", "sweep-3"): searched by the run filter. */
  tags?: string[];
  /** The sweep the run is one of: its id and name, and the run's place in it (index of count). */
  sweep?: SweepTag;
}

/** What a run of a sweep records of its sweep. */
export interface SweepTag {
  id: string;
  name: string;
  /** The run's place in the sweep, from 0. */
  index: number;
  /** The sweep's runs in all. */
  count: number;
}

/** A text run's sample at one evaluation. */
export interface RunSample {
  step: number;
  /** The characters after the prompt (a newline, or the vocabulary's first character). */
  text: string;
}

/** A run just deleted, with its stored checkpoint, so that Undo can put both back. */
export interface DeletedRun {
  run: RunRecord;
  checkpoint: Uint8Array | null;
}

/**
 * `run` as a later visit finds it: one that was training when it was left (the page closed, the run
 * deleted) was interrupted, and can resume from its checkpoint.
 */
export function interrupted(run: RunRecord): RunRecord {
  const live = run.state === 'running' || run.state === 'paused' || run.state === 'queued';
  return live ? { ...run, state: 'stopped' } : run;
}

/** The runs slice; runs are kept in creation order. */
export interface RunsSlice {
  runs: RunRecord[];
  /** The last run deleted, until another is deleted or it is put back. */
  deletedRun: DeletedRun | null;
  /** Stored records this page cannot read, set aside (listed with Download and Delete). */
  unreadableRuns: UnreadableRun[];
  setUnreadableRuns: (runs: UnreadableRun[]) => void;
  /** Deletes an unreadable record from storage, and from the list once it is gone. */
  deleteUnreadableRun: (key: IDBValidKey) => Promise<void>;
  /** Registers a run the page is about to send to the worker. */
  addRun: (run: Pick<RunRecord, 'id' | 'model' | 'config' | 'dataset'> & Partial<RunRecord>) => void;
  /** Puts back runs stored by an earlier visit (or deleted), each in its place by creation time. */
  restoreRuns: (runs: RunRecord[]) => void;
  /** Folds one of the worker's run reports into the matching run; other messages are ignored. */
  applyRunMessage: (msg: FromWorker) => void;
  /** Folds several reports in one store update (one render for a burst of metrics). */
  applyRunMessages: (msgs: FromWorker[]) => void;
  setRunVisible: (id: string, visible: boolean) => void;
  /** Renames a run, in the page and in storage; a name over MAX_RUN_NAME is cut, with a notice saying so. */
  renameRun: (id: string, name: string) => void;
  /** Sets a run's notes and tags (cleaned by fitTags), in the page and in storage. */
  annotateRun: (id: string, note: { notes?: string; tags?: readonly string[] }) => void;
  /** Notes that a checkpoint of the run, taken at `at`, is stored. */
  markCheckpoint: (id: string, at: { epoch: number; step: number }) => void;
  /** Forgets errors that said the loaded data were not a run's: other data are loaded now. */
  clearDataErrors: () => void;
  /** Sets a run's state without a worker report (a stop seen too late, a lost device). */
  setRunState: (id: string, state: RunState) => void;
  /** Marks a run as about to resume from its stored checkpoint: back at that epoch, no error. */
  queueResume: (id: string) => void;
  removeRun: (id: string) => void;
}

type RunMessage = MessageOf<FromWorker, 'metrics' | 'epochEnd' | 'status' | 'error' | 'runSample'>;

/**
 * `series` with `scalars` appended. Fractional epochs need the epoch length; until it is known,
 * `epoch` (the whole-epoch count) stands in.
 */
export function appendScalars(
  series: Record<string, ChartPoint[]>,
  scalars: Scalar[],
  stepsPerEpoch: number,
  epoch: number,
): Record<string, ChartPoint[]> {
  const out = { ...series };
  // Each touched series is copied once, then appended to: copying it per point made opening an
  // uploaded checkpoint's long history quadratic.
  const copied = new Set<string>();
  for (const s of scalars) {
    const point = {
      step: s.step,
      value: s.value,
      wallTime: s.wallTime,
      epoch: stepsPerEpoch > 0 ? s.step / stepsPerEpoch : epoch,
    };
    if (!copied.has(s.tag)) {
      copied.add(s.tag);
      out[s.tag] = out[s.tag] ? out[s.tag].slice() : [];
    }
    out[s.tag].push(point);
  }
  return out;
}

/** An error that leaves a run as it was: the worker refused to start or resume it. */
const refusedToStart = (kind: WorkerErrorKind) => kind === 'config' || kind === 'data-mismatch';

function fold(run: RunRecord, msg: RunMessage): RunRecord {
  switch (msg.type) {
    case 'status':
      return {
        ...run,
        // The first report of a resumed run says where its checkpoint was: what was logged after
        // that (an interrupted epoch) is logged again.
        series:
          run.state === 'queued'
            ? Object.fromEntries(
                Object.entries(run.series).map(([tag, pts]) => [tag, pts.filter((p) => p.step <= msg.step)]),
              )
            : run.series,
        // A run that failed stays failed: the worker's closing 'failed' status follows its error.
        state: run.state === 'failed' && msg.state !== 'running' ? 'failed' : msg.state,
        // The settings the worker trains with: the form's, with what the data decided.
        config: msg.config ?? run.config,
        step: msg.step,
        epoch: msg.epoch,
        stepsPerEpoch: msg.stepsPerEpoch,
        samplesPerSec: msg.samplesPerSec,
        phase: msg.phase,
        valSeconds: msg.valSeconds,
        error: msg.state === 'running' ? null : run.error,
      };
    case 'metrics':
      return {
        ...run,
        series: appendScalars(run.series, msg.scalars, run.stepsPerEpoch, msg.epoch),
        step: msg.step,
      };
    case 'epochEnd': {
      const { epoch, step, valLoss, valAcc, perClassAcc, confusion, misclassified } = msg;
      return {
        ...run,
        epoch,
        step,
        lastEpoch: { epoch, valLoss, valAcc, perClassAcc, confusion, misclassified },
      };
    }
    case 'runSample': {
      const { step, text } = msg;
      // A resumed run samples again at a step it had reached before it was interrupted: the new one replaces it.
      const kept = (run.samples ?? []).filter((x) => x.step < step);
      return { ...run, samples: [...kept, { step, text }] };
    }
    case 'error':
      return {
        ...run,
        // A refused resume changed nothing: the run can still resume once what was wrong is fixed.
        state: refusedToStart(msg.kind) && run.hasCheckpoint ? 'stopped' : 'failed',
        error: { kind: msg.kind, message: msg.message },
      };
  }
}

function isRunMessage(msg: FromWorker): msg is RunMessage & { runId: string } {
  return (
    (msg.type === 'metrics' ||
      msg.type === 'epochEnd' ||
      msg.type === 'status' ||
      msg.type === 'error' ||
      msg.type === 'runSample') &&
    msg.runId !== undefined
  );
}

/** Creates the runs slice. */
export const createRunsSlice: StateCreator<KilnState, [], [], RunsSlice> = (set, get) => {
  const update = (id: string, f: (r: RunRecord) => RunRecord) =>
    set(({ runs }) => ({ runs: runs.map((r) => (r.id === id ? f(r) : r)) }));
  return {
    runs: [],
    deletedRun: null,
    unreadableRuns: [],
    setUnreadableRuns: (unreadableRuns) => set({ unreadableRuns }),
    deleteUnreadableRun: async (key) => {
      if (await guardWrite(get, (db) => db.delete(key)))
        set(({ unreadableRuns }) => ({ unreadableRuns: unreadableRuns.filter((u) => u.key !== key) }));
    },
    addRun: (run) =>
      set(({ runs }) => ({
        runs: [
          ...runs,
          {
            name: `${run.model.name} #${runs.length + 1}`,
            color: RUN_COLORS[runs.length % RUN_COLORS.length],
            visible: true,
            series: {},
            state: 'queued',
            step: 0,
            epoch: 0,
            stepsPerEpoch: 0,
            samplesPerSec: 0,
            lastEpoch: null,
            error: null,
            hasCheckpoint: false,
            createdAt: Date.now(),
            ...run,
            ...(run.name === undefined ? {} : { name: fitRunName(run.name) }),
          },
        ],
      })),
    restoreRuns: (stored) =>
      set(({ runs }) => {
        const out = [...runs];
        for (const run of stored) {
          if (out.some((r) => r.id === run.id)) continue;
          const later = out.findIndex((r) => r.createdAt > run.createdAt);
          out.splice(later < 0 ? out.length : later, 0, run);
        }
        return { runs: out };
      }),
    applyRunMessage: (msg) => {
      if (isRunMessage(msg)) update(msg.runId, (r) => fold(r, msg));
    },
    applyRunMessages: (msgs) =>
      set(({ runs }) => ({
        runs: runs.map((r) =>
          msgs.reduce((acc, m) => (isRunMessage(m) && m.runId === r.id ? fold(acc, m) : acc), r),
        ),
      })),
    setRunVisible: (id, visible) => update(id, (r) => ({ ...r, visible })),
    renameRun: (id, given) => {
      const name = fitRunName(given);
      if (name !== given)
        get().setNotice({
          kind: 'warn',
          title: 'Run name cut',
          message: `Run names are at most ${MAX_RUN_NAME} characters; this one was cut to its first ${MAX_RUN_NAME}.`,
        });
      update(id, (r) => ({ ...r, name }));
      saveRun(get, id);
    },
    annotateRun: (id, note) => {
      update(id, (r) => ({
        ...r,
        ...(note.notes === undefined ? {} : { notes: fitNotes(note.notes) }),
        ...(note.tags === undefined ? {} : { tags: fitTags(note.tags) }),
      }));
      saveRun(get, id);
    },
    markCheckpoint: (id, at) =>
      update(id, (r) => ({ ...r, hasCheckpoint: true, checkpointEpoch: at.epoch, checkpointStep: at.step })),
    clearDataErrors: () =>
      set(({ runs }) => ({
        runs: runs.map((r) => (r.error?.kind === 'data-mismatch' ? { ...r, error: null } : r)),
      })),
    setRunState: (id, state) => update(id, (r) => ({ ...r, state })),
    queueResume: (id) =>
      update(id, (r) => ({
        ...r,
        state: 'queued',
        error: null,
        epoch: r.checkpointEpoch ?? r.epoch,
        step: r.checkpointStep ?? r.step,
      })),
    removeRun: (id) => set(({ runs }) => ({ runs: runs.filter((r) => r.id !== id) })),
  };
};
