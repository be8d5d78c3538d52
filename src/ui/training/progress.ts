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

/** A logged value, with the step it was logged at. */
export interface Logged {
  value: number;
  step: number;
  /** Epochs completed at that step (fractional within one). */
  epoch: number;
}

/** What the run bar says of how the run is learning: its live loss and its latest validation. */
export interface LatestMetrics {
  /** The last training loss logged (the mean over its logging window), or null before one. */
  loss: Logged | null;
  /**
   * The last validation figure: an image or table run's accuracy, a text run's loss (nanoGPT's
   * "val loss"; next-character accuracy says little), or null before the first validation.
   */
  val: (Logged & { kind: 'accuracy' | 'loss' }) | null;
}

/** The last point of a run's series for `tag`, or null. */
function last(run: Pick<RunRecord, 'series'>, tag: string): Logged | null {
  const points = run.series[tag];
  const p = points?.[points.length - 1];
  return p ? { value: p.value, step: p.step, epoch: p.epoch } : null;
}

/** The run bar's loss and validation figures for `run`, from its logged series. */
export function latestMetrics(
  run: Pick<RunRecord, 'series'> & { config: Partial<Pick<RunRecord['config'], 'steps'>> },
): LatestMetrics {
  const text = (run.config.steps ?? null) !== null;
  const val = last(run, text ? 'Loss/val' : 'Accuracy/val');
  return {
    loss: last(run, 'Loss/train'),
    val: val && { ...val, kind: text ? 'loss' : 'accuracy' },
  };
}

/**
 * Where Resume continues a stopped run, in words: the epoch it is in (counted from 1, as the run
 * bar counts them) and the batch within it, with the global step the checkpoint was taken after;
 * a text run, the step of its steps. A checkpoint taken mid-epoch (a Stop, the page going away)
 * goes on from its batch, not from the epoch's start.
 */
export function resumePoint(
  run: Pick<RunRecord, 'epoch' | 'step' | 'stepsPerEpoch' | 'checkpointEpoch' | 'checkpointStep'> & {
    config: Pick<RunRecord['config'], 'epochs'> & Partial<Pick<RunRecord['config'], 'steps'>>;
  },
): string {
  const completed = run.checkpointEpoch ?? run.epoch;
  const step = run.checkpointStep ?? run.step;
  const steps = run.config.steps ?? null;
  if (steps !== null) return `after step ${step.toLocaleString('en-US')} of ${steps.toLocaleString('en-US')}`;
  const perEpoch = run.stepsPerEpoch;
  const { epochs } = run.config;
  if (!(perEpoch > 0))
    return `after step ${step.toLocaleString('en-US')} (${completed} of ${epochs} epochs done)`;
  const within = step - completed * perEpoch;
  const after = `(after step ${step.toLocaleString('en-US')})`;
  if (within <= 0) return `at the start of epoch ${completed + 1} of ${epochs} ${after}`;
  return `in epoch ${completed + 1} of ${epochs}, at batch ${within + 1} of ${perEpoch.toLocaleString('en-US')} ${after}`;
}
