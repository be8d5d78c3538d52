/**
 * Training controls: the optimizer and its parameters, the schedule, regularisation and the run's
 * length, then Train / Pause / Resume / Stop and the live progress of the run being shown. Every
 * problem with the settings (train/config.ts's validator, the one the worker and the CLI use) is
 * listed and marked on its field.
 */
import { type ReactNode, useId, useLayoutEffect, useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { type ConfigProblem, configProblems, SCHEDULERS, type SchedulerName } from '../../train/config';
import type { OptimizerName, SchedulerConfig, TrainConfig } from '../../worker/protocol';
import { NumberField } from '../builder/NumberField';
import { configSummary } from '../format';
import { ResumeHelp } from '../runs/ResumeHelp';
import { useKiln, useTrainableSpec } from '../store';
import { whyNotResumable } from '../store/runActions';
import type { RunRecord } from '../store/runsSlice';
import { CopyLink } from './CopyLink';
import { RunProgress } from './RunProgress';
import { SCHEDULER_LABELS, schedulerParams } from './schedulers';

const OPTIMIZER_LABELS: Record<OptimizerName, string> = {
  sgd: 'SGD',
  adam: 'Adam',
  adamw: 'AdamW',
  rmsprop: 'RMSprop',
};

/** Reads a required number field: NaN passes through so the validator names the field. */
const req = (v: number | undefined) => v ?? Number.NaN;
/** Reads an optional field: empty means off (null). */
const opt = (v: number | undefined) => (v === undefined ? null : v);

/** Every problem with the form's settings on the loaded dataset. */
function useConfigProblems(): ConfigProblem[] {
  const config = useKiln((s) => s.config);
  const info = useKiln((s) => s.dataset.info);
  return useMemo(
    () =>
      configProblems(config, info ? { trainSize: info.trainSize, hasTestSet: info.testSize > 0 } : undefined),
    [config, info],
  );
}

/** The messages about one field (a path like 'lr' or 'scheduler.gamma'), joined; undefined when none. */
function problemOf(problems: ConfigProblem[], field: string): string | undefined {
  const mine = problems.filter((p) => p.field === field);
  return mine.length ? mine.map((p) => p.message).join('; ') : undefined;
}

/** The training panel. */
/** The config's fields that hold a number (or null for "off"). */
type NumericField = {
  [K in keyof TrainConfig]: TrainConfig[K] extends number | null ? K : never;
}[keyof TrainConfig];

/** A number field of the config with its problem; `off` is the empty text of a field that may be null. */
function ConfigField({
  field,
  label,
  integer = false,
  off,
}: {
  field: NumericField;
  label: string;
  integer?: boolean;
  off?: string;
}) {
  const value = useKiln((s) => s.config[field]);
  const setConfig = useKiln((s) => s.setConfig);
  const problem = problemOf(useConfigProblems(), field);
  return (
    <NumberField
      label={label}
      value={value ?? undefined}
      integer={integer}
      defaultText={off}
      problem={problem}
      onChange={(v) => setConfig({ [field]: off === undefined ? req(v) : opt(v) })}
    />
  );
}

export function TrainingPanel() {
  const id = useId();
  const config = useKiln((s) => s.config);
  const setConfig = useKiln((s) => s.setConfig);
  const setOptimizer = useKiln((s) => s.setOptimizer);
  const setScheduler = useKiln((s) => s.setScheduler);
  const { error: specError } = useTrainableSpec();
  const datasetReady = useKiln((s) => s.dataset.status === 'ready' && s.dataset.info !== null);
  const workerBackend = useKiln((s) => s.workerBackend);
  const active = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  const problems = useConfigProblems();
  const problem = (field: string) => problemOf(problems, field);
  const training = active !== null && (active.state === 'running' || active.state === 'queued');
  const paused = active?.state === 'paused';
  const why = !workerBackend
    ? 'Starting the training worker…'
    : !datasetReady
      ? 'Waiting for the dataset to load'
      : specError
        ? `The model cannot train: ${specError}`
        : problems.length
          ? 'Fix the settings:'
          : null;
  const betas = problem('betas');
  return (
    <section className="card training" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Training</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-opt`}>Optimizer</label>
          <select
            id={`${id}-opt`}
            value={config.optimizer}
            onChange={(e) => setOptimizer(e.target.value as OptimizerName)}
          >
            {Object.entries(OPTIMIZER_LABELS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <ConfigField field="lr" label="Learning rate" />
        {config.optimizer === 'sgd' || config.optimizer === 'rmsprop' ? (
          <NumberField
            label="Momentum"
            value={config.momentum}
            integer={false}
            problem={problem('momentum')}
            // Nesterov needs momentum: it goes off with it.
            onChange={(v) => setConfig({ momentum: req(v), ...(req(v) > 0 ? {} : { nesterov: false }) })}
          />
        ) : (
          <>
            <NumberField
              label="Beta 1"
              value={config.betas[0]}
              integer={false}
              problem={betas}
              onChange={(v) => setConfig({ betas: [req(v), config.betas[1]] })}
            />
            <NumberField
              label="Beta 2"
              value={config.betas[1]}
              integer={false}
              problem={betas}
              onChange={(v) => setConfig({ betas: [config.betas[0], req(v)] })}
            />
          </>
        )}
        {config.optimizer === 'sgd' && (
          <label className="field field-bool" title="PyTorch's nesterov: needs a momentum above 0">
            <input
              type="checkbox"
              checked={config.nesterov}
              disabled={!(config.momentum > 0)}
              onChange={(e) => setConfig({ nesterov: e.target.checked })}
            />
            Nesterov
          </label>
        )}
        <ConfigField field="weightDecay" label="Weight decay" />
        <ConfigField field="batchSize" label="Batch size" integer />
        <ConfigField field="epochs" label="Epochs" integer />
        <ConfigField field="limit" label="Limit training samples" integer off="all" />
        <ConfigField field="seed" label="Seed" integer />
      </div>
      <h3>Schedule</h3>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-sched`}>LR scheduler</label>
          <select
            id={`${id}-sched`}
            value={config.scheduler.name}
            onChange={(e) => setScheduler(e.target.value as SchedulerName)}
          >
            {SCHEDULERS.map((k) => (
              <option key={k} value={k}>
                {SCHEDULER_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <SchedulerFields
          scheduler={config.scheduler}
          problems={problems}
          onChange={(scheduler) => setConfig({ scheduler })}
        />
      </div>
      <h3>Regularisation</h3>
      <div className="form-grid">
        <ConfigField field="clipNorm" label="Clip grad norm" off="off" />
        <ConfigField field="clipValue" label="Clip grad value" off="off" />
        <ConfigField field="labelSmoothing" label="Label smoothing" />
        <ConfigField field="logEvery" label="Log every (steps)" integer />
      </div>
      <RunBar>
        <TrainActions active={active} why={why} training={training} paused={paused} />
        <RunProgress run={active} />
      </RunBar>
      <ResumeWith active={active} />
      <CopyLink />
      {problems.length > 0 && (
        <ul className="train-problems">
          {problems.map((p) => (
            <li key={`${p.field}-${p.message}`}>{p.message}</li>
          ))}
        </ul>
      )}
      {active && <ResumeHelp run={active} />}
    </section>
  );
}

/** Train, Pause, Resume and Stop for the shown run, each enabled only when it can act. */
function TrainActions({
  active,
  why,
  training,
  paused,
}: {
  active: RunRecord | null;
  why: string | null;
  training: boolean;
  paused: boolean;
}) {
  const dataset = useKiln((s) => s.dataset);
  const workerBackend = useKiln((s) => s.workerBackend);
  const { trainRun, pauseRun, resumeRun, stopRun } = useKiln(
    useShallow((s) => ({
      trainRun: s.trainRun,
      pauseRun: s.pauseRun,
      resumeRun: s.resumeRun,
      stopRun: s.stopRun,
    })),
  );
  const notResumable = active ? whyNotResumable(active, { dataset, workerBackend }) : 'no run is shown';
  return (
    <div className="train-actions">
      <button
        type="button"
        className="primary"
        disabled={why !== null || training || paused}
        onClick={() => trainRun()}
      >
        Train
      </button>
      <button
        type="button"
        disabled={active?.state !== 'running'}
        onClick={() => active && pauseRun(active.id)}
      >
        Pause
      </button>
      <button
        type="button"
        disabled={notResumable !== null}
        title={notResumable ?? undefined}
        onClick={() => active && void resumeRun(active.id)}
      >
        Resume
      </button>
      <button
        type="button"
        className="danger"
        disabled={!active || !(training || paused)}
        onClick={() => active && stopRun(active.id)}
      >
        Stop
      </button>
      {why && <span className="muted train-why">{why}</span>}
    </div>
  );
}

/** What Resume would do with the shown run: go on from its checkpoint with its own settings. */
function ResumeWith({ active }: { active: RunRecord | null }) {
  const continues = useKiln(
    (s) => active !== null && active.state !== 'paused' && !whyNotResumable(active, s),
  );
  if (!active || !continues) return null;
  return (
    <p className="muted resume-with">
      Resume continues {active.name} from epoch {active.checkpointEpoch ?? active.epoch} with its own
      settings: {configSummary(active.config)}, {active.config.epochs} epochs.
    </p>
  );
}

/**
 * The run bar: Train, Pause, Resume, Stop and the shown run's progress, fixed at the foot of the
 * window so the first action and the run's state are always in view. It stays in the Training
 * section's markup; its height is published as --run-bar-height, so the page (and the update
 * banner) leave it room.
 */
function RunBar({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const bar = ref.current;
    if (!bar) return;
    const root = document.documentElement.style;
    const observer = new ResizeObserver(() => root.setProperty('--run-bar-height', `${bar.offsetHeight}px`));
    observer.observe(bar);
    return () => {
      observer.disconnect();
      root.removeProperty('--run-bar-height');
    };
  }, []);
  return (
    <div ref={ref} className="run-bar">
      {children}
    </div>
  );
}

function SchedulerFields({
  scheduler,
  problems,
  onChange,
}: {
  scheduler: SchedulerConfig;
  problems: ConfigProblem[];
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
          problem={problemOf(problems, `scheduler.${p.key}`)}
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
