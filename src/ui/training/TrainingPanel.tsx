/**
 * Training controls: the optimizer and its parameters, the schedule, regularisation and the run's
 * length, then Train / Pause / Resume / Stop and the live progress of the run being shown.
 */
import { useId } from 'react';
import type { OptimizerName, SchedulerConfig, TrainConfig } from '../../worker/protocol';
import { NumberField } from '../builder/NumberField';
import { controller } from '../controller';
import { useKiln, useTrainableSpec } from '../store';
import { configError } from './configError';
import { RunProgress } from './RunProgress';
import { defaultScheduler, SCHEDULER_LABELS, schedulerParams } from './schedulers';

const OPTIMIZERS: Record<OptimizerName, string> = {
  sgd: 'SGD',
  adam: 'Adam',
  adamw: 'AdamW',
  rmsprop: 'RMSprop',
};

/** Reads a required number field: NaN passes through so configError names the field. */
const req = (v: number | undefined) => v ?? Number.NaN;
/** Reads an optional field: empty means off (null). */
const opt = (v: number | undefined) => (v === undefined ? null : v);

/** The training panel. */
export function TrainingPanel() {
  const id = useId();
  const config = useKiln((s) => s.config);
  const setConfig = useKiln((s) => s.setConfig);
  const { spec, error: specError } = useTrainableSpec();
  const dataset = useKiln((s) => s.dataset);
  const workerBackend = useKiln((s) => s.workerBackend);
  const active = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  const cfgError = configError(config, dataset.info?.trainSize);
  const training = active !== null && (active.state === 'running' || active.state === 'queued');
  const paused = active?.state === 'paused';
  const why = !workerBackend
    ? 'Starting the training worker…'
    : dataset.status !== 'ready' || !dataset.info
      ? 'Waiting for the dataset to load'
      : specError
        ? `The model cannot train: ${specError}`
        : cfgError
          ? `Fix the settings: ${cfgError}`
          : null;
  const set =
    <K extends keyof TrainConfig>(key: K) =>
    (v: TrainConfig[K]) =>
      setConfig({ [key]: v } as Partial<TrainConfig>);
  const usesMomentum = config.optimizer === 'sgd' || config.optimizer === 'rmsprop';
  return (
    <section className="card training" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Training</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-opt`}>Optimizer</label>
          <select
            id={`${id}-opt`}
            value={config.optimizer}
            onChange={(e) => setConfig({ optimizer: e.target.value as OptimizerName })}
          >
            {Object.entries(OPTIMIZERS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <NumberField
          label="Learning rate"
          value={config.lr}
          integer={false}
          onChange={(v) => set('lr')(req(v))}
        />
        {usesMomentum ? (
          <NumberField
            label="Momentum"
            value={config.momentum}
            integer={false}
            onChange={(v) => set('momentum')(req(v))}
          />
        ) : (
          <>
            <NumberField
              label="Beta 1"
              value={config.betas[0]}
              integer={false}
              onChange={(v) => setConfig({ betas: [req(v), config.betas[1]] })}
            />
            <NumberField
              label="Beta 2"
              value={config.betas[1]}
              integer={false}
              onChange={(v) => setConfig({ betas: [config.betas[0], req(v)] })}
            />
          </>
        )}
        <NumberField
          label="Weight decay"
          value={config.weightDecay}
          integer={false}
          onChange={(v) => set('weightDecay')(req(v))}
        />
        <NumberField
          label="Batch size"
          value={config.batchSize}
          integer
          onChange={(v) => set('batchSize')(req(v))}
        />
        <NumberField label="Epochs" value={config.epochs} integer onChange={(v) => set('epochs')(req(v))} />
        <NumberField
          label="Limit training samples"
          value={config.limit ?? undefined}
          integer
          defaultText="all"
          onChange={(v) => set('limit')(opt(v))}
        />
        <NumberField label="Seed" value={config.seed} integer onChange={(v) => set('seed')(req(v))} />
      </div>
      <h3>Schedule</h3>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-sched`}>LR scheduler</label>
          <select
            id={`${id}-sched`}
            value={config.scheduler.name}
            onChange={(e) =>
              setConfig({ scheduler: defaultScheduler(e.target.value as SchedulerConfig['name'], config) })
            }
          >
            {Object.entries(SCHEDULER_LABELS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <SchedulerFields scheduler={config.scheduler} onChange={(scheduler) => setConfig({ scheduler })} />
      </div>
      <h3>Regularisation</h3>
      <div className="form-grid">
        <NumberField
          label="Clip grad norm"
          value={config.clipNorm ?? undefined}
          integer={false}
          defaultText="off"
          onChange={(v) => set('clipNorm')(opt(v))}
        />
        <NumberField
          label="Clip grad value"
          value={config.clipValue ?? undefined}
          integer={false}
          defaultText="off"
          onChange={(v) => set('clipValue')(opt(v))}
        />
        <NumberField
          label="Label smoothing"
          value={config.labelSmoothing}
          integer={false}
          onChange={(v) => set('labelSmoothing')(req(v))}
        />
        <NumberField
          label="Log every (steps)"
          value={config.logEvery}
          integer
          onChange={(v) => set('logEvery')(req(v))}
        />
      </div>
      <div className="train-actions">
        <button
          type="button"
          className="primary"
          disabled={why !== null || training || paused}
          onClick={() => controller.train(spec, config)}
        >
          Train
        </button>
        <button
          type="button"
          disabled={active?.state !== 'running'}
          onClick={() => active && controller.pause(active.id)}
        >
          Pause
        </button>
        <button
          type="button"
          disabled={
            !active ||
            !(paused || ((active.state === 'stopped' || active.state === 'failed') && active.hasCheckpoint))
          }
          onClick={() => active && void controller.resume(active.id)}
        >
          Resume
        </button>
        <button
          type="button"
          className="danger"
          disabled={!active || !(training || paused)}
          onClick={() => active && controller.stop(active.id)}
        >
          Stop
        </button>
        {why && <span className="muted train-why">{why}</span>}
      </div>
      <RunProgress run={active} />
    </section>
  );
}

function SchedulerFields({
  scheduler,
  onChange,
}: {
  scheduler: SchedulerConfig;
  onChange: (s: SchedulerConfig) => void;
}) {
  const values = scheduler as unknown as Record<string, number>;
  return (
    <>
      {scheduler.name === 'multistep' && (
        <MilestonesField
          milestones={scheduler.milestones}
          onChange={(milestones) => onChange({ ...scheduler, milestones })}
        />
      )}
      {scheduler.name === 'plateau' && (
        <div className="field">
          <label htmlFor="plateau-mode">mode</label>
          <select
            id="plateau-mode"
            value={scheduler.mode}
            onChange={(e) => onChange({ ...scheduler, mode: e.target.value as 'min' | 'max' })}
          >
            <option value="min">min</option>
            <option value="max">max</option>
          </select>
        </div>
      )}
      {schedulerParams(scheduler).map((p) => (
        <NumberField
          key={`${scheduler.name}-${p.key}`}
          label={p.label}
          value={values[p.key]}
          integer={p.integer}
          onChange={(v) => onChange({ ...scheduler, [p.key]: v ?? Number.NaN } as SchedulerConfig)}
        />
      ))}
    </>
  );
}

function MilestonesField({
  milestones,
  onChange,
}: {
  milestones: number[];
  onChange: (m: number[]) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>milestones (epochs)</label>
      <input
        id={id}
        type="text"
        defaultValue={milestones.join(', ')}
        onChange={(e) =>
          onChange(
            e.target.value
              .split(',')
              .map((x) => Number(x.trim()))
              .filter((x) => Number.isInteger(x) && x > 0),
          )
        }
      />
    </div>
  );
}
