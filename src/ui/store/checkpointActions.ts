/**
 * Checkpoints and weights between the page, the worker and the run database: uploading a file as
 * a run, downloading a run's checkpoint, model or PyTorch script, storing the worker's automatic
 * checkpoints, and classifying a drawing with a run's weights.
 */

import { MAX_INFLATED_BYTES } from 'kiln/datasets';
import { exportPytorch } from 'kiln/export';
import type { StateCreator } from 'zustand';
import type { CheckpointSummary, FromWorker, MessageOf } from '../../worker/protocol';
import { downloadBytes, fileStem } from '../download';
import { link } from '../link';
import { labelled, readRunLabel } from '../runs/runLabel';
import type { KilnState } from './index';
import { guardWrite, saveHistograms, saveRun } from './persist';
import { appendScalars, type RunRecord } from './runsSlice';

/** The checkpoint actions. */
export interface CheckpointActions {
  /**
   * Loads a checkpoint file as a new run: a full checkpoint opens as the run it was (its settings,
   * progress and charts), ready to resume; a state dict as a model to evaluate. Resolves with why
   * the file was refused (nothing changes then), or null.
   */
  uploadCheckpoint: (file: File) => Promise<string | null>;
  /** Downloads a run's full checkpoint or its model's state dict (.safetensors), labelled with the run's name and date. */
  downloadCheckpoint: (id: string, kind: 'checkpoint' | 'model') => Promise<void>;
  /** Downloads `train_<run name>.py`: the PyTorch program for a run's model and configuration. */
  downloadPytorch: (id: string) => void;
  /** Stores a checkpoint the worker took, and only then notes where the run can resume from. */
  storeCheckpoint: (id: string, bytes: Uint8Array, at: { epoch: number; step: number }) => Promise<void>;
  /** A run's class probabilities for one image ([0, 1] pixels), or null if it has no weights to use. */
  predict: (id: string, pixels: Float32Array) => Promise<number[] | null>;
  /** Makes sure the worker holds a run's model (loading its stored checkpoint); false if it has none. */
  loadWeights: (id: string) => Promise<boolean>;
}

/** The run an uploaded file describes: a full checkpoint's own settings and history. */
function uploadedRun(
  reply: MessageOf<FromWorker, 'checkpointLoaded'>,
  s: KilnState,
): Pick<RunRecord, 'config' | 'dataset'> & Partial<RunRecord> {
  const run: CheckpointSummary | undefined = reply.run;
  if (!run) return { config: s.config, dataset: s.dataset.info?.name ?? 'mnist', modelOnly: true };
  const stepsPerEpoch = Math.ceil(run.trainSamples / run.config.batchSize);
  return {
    config: run.config,
    dataset: run.dataset ?? '',
    epoch: run.epoch,
    step: run.step,
    stepsPerEpoch,
    checkpointEpoch: run.epoch,
    checkpointStep: run.step,
    series: appendScalars({}, run.history, stepsPerEpoch, run.epoch),
    state: run.epoch >= run.config.epochs ? 'finished' : 'stopped',
  };
}

/** Numbers predictions, to match each answer to its request. */
let nextRequest = 1;

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Creates the checkpoint actions. */
export const createCheckpointActions: StateCreator<KilnState, [], [], CheckpointActions> = (_set, get) => {
  /** Makes sure the worker holds `run`'s model, loading its stored checkpoint when it does not. */
  const ensureLoaded = async (run: RunRecord): Promise<boolean> => {
    if (link.holds(run.id)) return true;
    const bytes = await (await link.db())?.checkpoint(run.id);
    if (!bytes) return false;
    try {
      const msg = { type: 'importCheckpoint', runId: run.id, bytes, model: run.model } as const;
      const reply = await link.request(msg, 'checkpointLoaded', (m) => m.runId === run.id);
      if (reply.type === 'error') return false;
    } catch {
      return false;
    }
    link.setHeld(run.id, true);
    return true;
  };

  return {
    uploadCheckpoint: async (file) => {
      if (file.size > MAX_INFLATED_BYTES) {
        return `${file.name}: ${file.size} bytes is over the ${MAX_INFLATED_BYTES} Kiln reads`;
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      const kept = bytes.slice();
      // Read before the bytes go to the worker (they are transferred).
      const label = readRunLabel(bytes);
      const id = `upload-${Date.now().toString(36)}`;
      let reply: MessageOf<FromWorker, 'checkpointLoaded' | 'error'>;
      try {
        const msg = { type: 'importCheckpoint', runId: id, bytes, model: get().spec } as const;
        reply = await link.request(msg, 'checkpointLoaded', (m) => m.runId === id);
      } catch (e) {
        return `${file.name}: ${reason(e)}`;
      }
      if (reply.type === 'error') return `${file.name}: ${reply.message}`;
      const s = get();
      link.setHeld(id, true);
      // Named and dated as the run it was (when the file says so); the upload is dated apart.
      s.addRun({
        id,
        model: reply.model,
        name: label?.name ?? file.name.replace(/\.safetensors$/, ''),
        state: 'stopped',
        ...uploadedRun(reply, s),
        ...(label ? { createdAt: label.createdAt } : {}),
        uploadedAt: Date.now(),
      });
      s.setActiveRun(id);
      if (await guardWrite(get, (db) => db.putCheckpoint(id, kept))) {
        const run = get().runs.find((r) => r.id === id);
        if (run) get().markCheckpoint(id, { epoch: run.epoch, step: run.step });
      }
      saveRun(get, id);
      return null;
    },

    downloadCheckpoint: async (id, kind) => {
      const run = get().runs.find((r) => r.id === id);
      if (!run) return;
      // A run the worker is not training: its stored checkpoint is the full one to download.
      const training =
        link.holds(id) && (run.state === 'running' || run.state === 'paused' || run.state === 'queued');
      if (kind === 'checkpoint' && !training) {
        const bytes = await (await link.db())?.checkpoint(id);
        if (bytes) {
          downloadBytes(labelled(bytes, run), `${fileStem(run.name)}-checkpoint.safetensors`);
          return;
        }
      }
      if (!(await ensureLoaded(run))) {
        get().setNotice({
          kind: 'warn',
          title: 'Nothing to download yet',
          message: `${run.name} has no weights stored: train it for an epoch first.`,
        });
        return;
      }
      // The worker answers with a `checkpoint` report, which the report router downloads.
      link.send({ type: 'exportCheckpoint', runId: id, kind });
    },

    downloadPytorch: (id) => {
      const run = get().runs.find((r) => r.id === id);
      // Named by the run, so the scripts of several runs do not land as train (1).py, train (2).py.
      if (run)
        downloadBytes(
          exportPytorch(run.model, run.config),
          `train_${fileStem(run.name)}.py`,
          'text/x-python',
        );
    },

    storeCheckpoint: async (id, bytes, at) => {
      if (!get().runs.some((r) => r.id === id)) return;
      // Marked only once stored: after a failed write the stored bytes are still the older checkpoint's.
      if (await guardWrite(get, (db) => db.putCheckpoint(id, bytes))) get().markCheckpoint(id, at);
      saveRun(get, id);
      saveHistograms(get, id);
    },

    predict: async (id, pixels) => {
      const run = get().runs.find((r) => r.id === id);
      if (!run || !(await ensureLoaded(run))) return null;
      const requestId = nextRequest++;
      try {
        const msg = { type: 'predict', requestId, runId: id, pixels } as const;
        const reply = await link.request(msg, 'prediction', (m) => m.requestId === requestId);
        return reply.type === 'prediction' ? reply.probabilities : null;
      } catch {
        return null;
      }
    },

    loadWeights: async (id) => {
      const run = get().runs.find((r) => r.id === id);
      return run ? ensureLoaded(run) : false;
    },
  };
};
