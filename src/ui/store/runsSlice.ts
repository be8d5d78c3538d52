/** Training runs as the page knows them: what the worker reported, folded into chartable series. */
import type { StateCreator } from 'zustand';
import type { ModelSpec } from '../../nn/spec';
import type { FromWorker, MessageOf, RunState, TrainConfig } from '../../worker/protocol';
import type { ChartRun } from '../charts/types';
import type { KilnState } from './index';

/** TensorBoard-like run colours, distinct in both themes, assigned in order of creation. */
export const RUN_COLORS = [
  '#ff7043',
  '#0077bb',
  '#009988',
  '#ee3377',
  '#33bbee',
  '#cc3311',
  '#aa4499',
  '#bbbbbb',
];

/** The last validation pass of a run. */
export interface EpochReport {
  epoch: number;
  valLoss: number;
  valAcc: number;
  perClassAcc: number[];
  confusion: number[][];
}

/** One run: its setup, its progress and its logged series. */
export interface RunRecord extends ChartRun {
  model: ModelSpec;
  config: TrainConfig;
  state: RunState;
  step: number;
  epoch: number;
  /** Known once the worker has split the dataset; 0 before. */
  stepsPerEpoch: number;
  lastEpoch: EpochReport | null;
  error: string | null;
}

/** The runs slice; runs are kept in creation order. */
export interface RunsSlice {
  runs: RunRecord[];
  /** Registers a run the page is about to send to the worker. */
  addRun: (id: string, model: ModelSpec, config: TrainConfig) => void;
  /** Folds one of the worker's run reports into the matching run; other messages are ignored. */
  applyRunMessage: (msg: FromWorker) => void;
  setRunVisible: (id: string, visible: boolean) => void;
  removeRun: (id: string) => void;
}

type RunMessage = MessageOf<FromWorker, 'metrics' | 'epochEnd' | 'status' | 'error'>;

function fold(run: RunRecord, msg: RunMessage): RunRecord {
  switch (msg.type) {
    case 'status':
      return { ...run, state: msg.state, step: msg.step, epoch: msg.epoch, stepsPerEpoch: msg.stepsPerEpoch };
    case 'metrics': {
      const series = { ...run.series };
      for (const s of msg.scalars) {
        // Fractional epochs need the epoch length; until it is known, the whole-epoch count stands in.
        const epoch = run.stepsPerEpoch > 0 ? s.step / run.stepsPerEpoch : msg.epoch;
        series[s.tag] = [
          ...(series[s.tag] ?? []),
          { step: s.step, value: s.value, wallTime: s.wallTime, epoch },
        ];
      }
      return { ...run, series, step: msg.step, epoch: msg.epoch };
    }
    case 'epochEnd': {
      const { epoch, step, valLoss, valAcc, perClassAcc, confusion } = msg;
      const at = { step, wallTime: Date.now(), epoch: epoch + 1 };
      const series = {
        ...run.series,
        'loss/val': [...(run.series['loss/val'] ?? []), { ...at, value: valLoss }],
        'accuracy/val': [...(run.series['accuracy/val'] ?? []), { ...at, value: valAcc }],
      };
      return { ...run, series, lastEpoch: { epoch, valLoss, valAcc, perClassAcc, confusion } };
    }
    case 'error':
      return { ...run, state: 'failed', error: msg.message };
  }
}

function isRunMessage(msg: FromWorker): msg is RunMessage & { runId: string } {
  return (
    (msg.type === 'metrics' || msg.type === 'epochEnd' || msg.type === 'status' || msg.type === 'error') &&
    msg.runId !== undefined
  );
}

/** Creates the runs slice. */
export const createRunsSlice: StateCreator<KilnState, [], [], RunsSlice> = (set) => ({
  runs: [],
  addRun: (id, model, config) =>
    set(({ runs }) => ({
      runs: [
        ...runs,
        {
          id,
          name: `${model.name} #${runs.length + 1}`,
          color: RUN_COLORS[runs.length % RUN_COLORS.length],
          visible: true,
          series: {},
          model,
          config,
          state: 'queued',
          step: 0,
          epoch: 0,
          stepsPerEpoch: 0,
          lastEpoch: null,
          error: null,
        },
      ],
    })),
  applyRunMessage: (msg) => {
    if (!isRunMessage(msg)) return;
    set(({ runs }) => ({ runs: runs.map((r) => (r.id === msg.runId ? fold(r, msg) : r)) }));
  },
  setRunVisible: (id, visible) =>
    set(({ runs }) => ({ runs: runs.map((r) => (r.id === id ? { ...r, visible } : r)) })),
  removeRun: (id) => set(({ runs }) => ({ runs: runs.filter((r) => r.id !== id) })),
});
