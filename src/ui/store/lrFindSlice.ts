/**
 * The learning-rate finder as the page holds it: the range test the worker runs on the builder's
 * model and the form's settings (worker/session.ts lrFind), its points as they stream in, its
 * result, and the one action that matters afterwards, "use this lr", which puts the suggestion in
 * the form. The test never runs here: the page only asks, draws and fills the field.
 */

import { roundLr } from 'kiln/config';
import type { StateCreator } from 'zustand';
import type { FromWorker, LrFindPoint, LrFindResult, MessageOf, OptimizerName } from '../../worker/protocol';
import { link } from '../link';
import type { KilnState } from './index';

/** A range test the page asked for. */
export interface LrFindRun {
  requestId: number;
  /** running: points arrive; done: `result` holds the curve and marks; failed: `error` says why. */
  status: 'running' | 'done' | 'failed';
  points: LrFindPoint[];
  result: LrFindResult | null;
  error: string | null;
  /** Stop was asked for and the worker has not answered yet. */
  stopping: boolean;
  /** What it ran on: a suggestion holds for this optimizer and batch size, with this model. */
  optimizer: OptimizerName;
  batchSize: number;
  model: string;
}

/** The LR finder slice. */
export interface LrFindSlice {
  /** The last range test asked for (null until the first; closing it clears it). */
  lrFind: LrFindRun | null;
  /** Asks the worker for a range test of the builder's model with the form's settings. */
  findLr: () => void;
  /** Ends the test after its current step; the curve so far is kept. */
  stopLrFind: () => void;
  /** Puts the suggestion, rounded to 3 significant figures, into the form's learning rate. */
  applyFoundLr: () => void;
  /** Hides the finder's chart. */
  closeLrFind: () => void;
  /** Folds a worker report of the test in (those of an older test are ignored). */
  receiveLrFind: (msg: MessageOf<FromWorker, 'lrFindPoint' | 'lrFindEnd'>) => void;
  /** The worker went away mid-test: it ends with that reason. */
  lrFindLost: (why: string) => void;
}

/** Numbers the tests, to match each report to the one the page shows. */
let nextRequest = 1;

/** Creates the LR finder slice. */
export const createLrFindSlice: StateCreator<KilnState, [], [], LrFindSlice> = (set, get) => ({
  lrFind: null,
  findLr: () => {
    const s = get();
    if (s.lrFind?.status === 'running') return;
    const requestId = nextRequest++;
    set({
      lrFind: {
        requestId,
        status: 'running',
        points: [],
        result: null,
        error: null,
        stopping: false,
        optimizer: s.config.optimizer,
        batchSize: s.config.batchSize,
        model: s.spec.name,
      },
    });
    link.send({ type: 'lrFind', requestId, model: s.spec, config: s.config });
  },
  stopLrFind: () => {
    const f = get().lrFind;
    if (f?.status !== 'running') return;
    set({ lrFind: { ...f, stopping: true } });
    link.send({ type: 'stopLrFind', requestId: f.requestId });
  },
  applyFoundLr: () => {
    const lr = get().lrFind?.result?.suggestedLr;
    if (lr) get().setConfig({ lr: roundLr(lr) });
  },
  closeLrFind: () => {
    const f = get().lrFind;
    if (f?.status === 'running') link.send({ type: 'stopLrFind', requestId: f.requestId });
    set({ lrFind: null });
  },
  receiveLrFind: (msg) => {
    const f = get().lrFind;
    if (!f || f.requestId !== msg.requestId || f.status !== 'running') return;
    if (msg.type === 'lrFindPoint') set({ lrFind: { ...f, points: [...f.points, msg.point] } });
    else
      set({
        lrFind: {
          ...f,
          status: msg.result ? 'done' : 'failed',
          points: msg.result?.points ?? f.points,
          result: msg.result,
          error: msg.error,
          stopping: false,
        },
      });
  },
  lrFindLost: (why) => {
    const f = get().lrFind;
    if (f?.status === 'running') set({ lrFind: { ...f, status: 'failed', error: why, stopping: false } });
  },
});
