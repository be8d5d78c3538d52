/**
 * The shown run's progress: a bar over all its steps, with epoch, step, the live training loss,
 * the latest validation figure, throughput and time left.
 */

import type { RunPhase } from '../../worker/protocol';
import { formatValue } from '../charts/format';
import { duration, percent } from '../format';
import type { RunRecord } from '../store/runsSlice';
import { latestMetrics, progress } from './progress';

const STATE_TEXT: Record<RunRecord['state'], string> = {
  queued: 'Starting',
  running: 'Training',
  paused: 'Paused',
  stopped: 'Stopped',
  finished: 'Finished',
  failed: 'Failed',
};

/** A running run's phase in words: the first step compiles for seconds, validation can take as long. */
const PHASE_TEXT: Record<RunPhase, string> = {
  compiling: 'Compiling',
  training: 'Training',
  validating: 'Validating',
  checkpointing: 'Saving checkpoint',
};

/** Why a phase takes its time, for the state's tooltip. */
const PHASE_HINT: Record<RunPhase, string> = {
  compiling: 'Building and tuning the GPU kernels on the first step',
  training: 'Training steps',
  validating: 'Evaluating on the validation set',
  checkpointing: 'Saving a checkpoint of the run in this browser',
};

/** Props: the run to show, or null before any. */
export interface RunProgressProps {
  run: RunRecord | null;
}

/** A fixed-height progress block, so starting a run never shifts the layout. */
export function RunProgress({ run }: RunProgressProps) {
  const figures = run ? progress(run) : null;
  const metrics = run ? latestMetrics(run) : null;
  const val = metrics?.val ?? null;
  // A text run counts steps and evaluations (nanoGPT's max_iters and eval_interval), not epochs.
  const steps = run?.config.steps ?? null;
  const phase = run?.state === 'running' ? run.phase : null;
  return (
    <div className="run-progress" aria-live="polite">
      <div className="run-progress-head">
        <span className="user-text">
          {run ? (
            <>
              <span className={`state state-${run.state}`} title={phase ? PHASE_HINT[phase] : undefined}>
                {phase ? PHASE_TEXT[phase] : STATE_TEXT[run.state]}
              </span>{' '}
              {run.name}
            </>
          ) : (
            <span className="muted">No run yet: press Train to start one.</span>
          )}
        </span>
        <span className="num muted">
          {run && (run.stepsPerEpoch > 0 || steps !== null) && figures
            ? `${(figures.fraction * 100).toFixed(0)}%`
            : ''}
        </span>
      </div>
      <progress aria-label="Training progress" max={1} value={figures?.fraction ?? 0} />
      <dl className="run-stats">
        <div>
          <dt>{steps === null ? 'Epoch' : 'Evaluation'}</dt>
          <dd className="num">{figures ? `${figures.epoch} / ${figures.epochs}` : '—'}</dd>
        </div>
        <div>
          <dt>Step</dt>
          <dd className="num">
            {run && steps !== null
              ? `${run.step} / ${steps}`
              : run && figures && run.stepsPerEpoch > 0
                ? `${figures.stepInEpoch} / ${run.stepsPerEpoch}`
                : '—'}
          </dd>
        </div>
        <div>
          <dt>Loss</dt>
          <dd
            className="num"
            title={
              metrics?.loss
                ? `Training loss, the mean over the steps up to step ${metrics.loss.step}`
                : undefined
            }
          >
            {metrics?.loss ? formatValue(metrics.loss.value) : '—'}
          </dd>
        </div>
        <div>
          <dt>{val?.kind === 'loss' || (val === null && steps !== null) ? 'Val loss' : 'Val accuracy'}</dt>
          <dd
            className="num"
            title={
              val
                ? `After ${steps === null ? `epoch ${Math.round(val.epoch)}` : `step ${val.step}`}'s validation`
                : 'Known after the first validation'
            }
          >
            {val ? (val.kind === 'accuracy' ? percent(val.value) : formatValue(val.value)) : '—'}
          </dd>
        </div>
        <div>
          <dt>Samples/s</dt>
          <dd className="num">
            {run && run.samplesPerSec > 0 ? Math.round(run.samplesPerSec).toLocaleString('en-US') : '—'}
          </dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd className="num">{duration(figures?.secondsLeft ?? Number.NaN)}</dd>
        </div>
      </dl>
    </div>
  );
}
