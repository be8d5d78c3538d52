/**
 * Where a run stands, as the run bar says it: the epoch and step within it, the fraction done, and
 * the time left, counting the validation passes still to come (a CNN's can take seconds each).
 */
import type { RunRecord } from '../store/runsSlice';

/** What the run bar shows of a run. */
export interface Progress {
  /** The epoch the run is in (1-based), or the last it completed when between epochs. */
  epoch: number;
  /** Epochs in all (a text run's: its evaluation intervals). */
  epochs: number;
  /** Steps taken in that epoch. */
  stepInEpoch: number;
  /** Of all the run's steps, in [0, 1]. */
  fraction: number;
  /** NaN unless the run is training and its speed is known. */
  secondsLeft: number;
}

/** The run bar's figures for `run`. */
export function progress(
  run: Pick<
    RunRecord,
    'state' | 'phase' | 'epoch' | 'step' | 'stepsPerEpoch' | 'samplesPerSec' | 'valSeconds'
  > & {
    config: Pick<RunRecord['config'], 'epochs' | 'batchSize'> &
      Partial<Pick<RunRecord['config'], 'steps' | 'evalEvery'>>;
  },
): Progress {
  const { batchSize } = run.config;
  // A text run is measured in steps: its "epochs" are its evaluation intervals, evalEvery steps each.
  const steps = run.config.steps ?? null;
  const perEpoch = steps === null ? run.stepsPerEpoch : (run.config.evalEvery ?? steps);
  const epochs = steps === null ? run.config.epochs : Math.ceil(steps / perEpoch);
  const total = steps ?? perEpoch * epochs;
  const fraction = total > 0 ? Math.min(1, run.step / total) : 0;
  if (run.state === 'finished')
    return { epoch: epochs, epochs, stepInEpoch: perEpoch, fraction: 1, secondsLeft: Number.NaN };
  const done = run.epoch * perEpoch;
  // Past the completed epochs' steps, or about to take the next epoch's first: in the next epoch.
  const training = run.state === 'running' && (run.phase === 'training' || run.phase === 'compiling');
  const inNext = run.step > done || training;
  const epoch = Math.min(epochs, inNext ? run.epoch + 1 : run.epoch);
  const stepInEpoch = inNext ? Math.max(0, run.step - done) : run.epoch > 0 ? perEpoch : 0;
  const stepsPerSec = run.samplesPerSec / batchSize;
  if (run.state !== 'running' || !(stepsPerSec > 0) || total === 0) {
    return { epoch, epochs, stepInEpoch, fraction, secondsLeft: Number.NaN };
  }
  // run.epoch counts an epoch as soon as its steps are done, before its validation runs.
  const validations = epochs - run.epoch + (run.phase === 'validating' ? 1 : 0);
  const secondsLeft = Math.max(0, total - run.step) / stepsPerSec + validations * (run.valSeconds ?? 0);
  return { epoch, epochs, stepInEpoch, fraction, secondsLeft };
}
