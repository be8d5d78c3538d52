/** The shown run's progress: a bar over all its steps, with epoch, step, throughput and time left. */
import { duration } from '../format';
import type { RunRecord } from '../store/runsSlice';

const STATE_TEXT: Record<RunRecord['state'], string> = {
  queued: 'Starting',
  running: 'Training',
  paused: 'Paused',
  stopped: 'Stopped',
  finished: 'Finished',
  failed: 'Failed',
};

/** Props: the run to show, or null before any. */
export interface RunProgressProps {
  run: RunRecord | null;
}

/** A fixed-height progress block, so starting a run never shifts the layout. */
export function RunProgress({ run }: RunProgressProps) {
  const epochs = run?.config.epochs ?? 0;
  const totalSteps = run && run.stepsPerEpoch > 0 ? run.stepsPerEpoch * epochs : 0;
  const fraction = totalSteps > 0 && run ? Math.min(1, run.step / totalSteps) : 0;
  const stepsPerSec = run && run.samplesPerSec > 0 ? run.samplesPerSec / run.config.batchSize : 0;
  const left =
    run?.state === 'running' && stepsPerSec > 0 ? (totalSteps - run.step) / stepsPerSec : Number.NaN;
  const stepInEpoch =
    run && run.stepsPerEpoch > 0 ? run.step - Math.min(run.epoch, epochs - 1) * run.stepsPerEpoch : 0;
  return (
    <div className="run-progress" aria-live="polite">
      <div className="run-progress-head">
        <span>
          {run ? (
            <>
              <span className={`state state-${run.state}`}>{STATE_TEXT[run.state]}</span> {run.name}
            </>
          ) : (
            <span className="muted">No run yet: press Train to start one.</span>
          )}
        </span>
        <span className="num muted">{run && totalSteps > 0 ? `${(fraction * 100).toFixed(0)}%` : ''}</span>
      </div>
      <progress aria-label="Training progress" max={1} value={fraction} />
      <dl className="run-stats">
        <div>
          <dt>Epoch</dt>
          <dd className="num">
            {run ? `${Math.min(run.epoch + (run.state === 'running' ? 1 : 0), epochs)} / ${epochs}` : '—'}
          </dd>
        </div>
        <div>
          <dt>Step</dt>
          <dd className="num">
            {run && run.stepsPerEpoch > 0 ? `${Math.max(0, stepInEpoch)} / ${run.stepsPerEpoch}` : '—'}
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
          <dd className="num">{duration(left)}</dd>
        </div>
      </dl>
    </div>
  );
}
