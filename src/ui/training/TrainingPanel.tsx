/**
 * Training controls: the optimizer and its parameters, the schedule, regularisation and the run's
 * length, then Train / Pause / Resume / Stop and the live progress of the run being shown. Every
 * problem with the settings (train/config.ts's validator, the one the worker and the CLI use) is
 * listed and marked on its field.
 */

import {
  type ConfigProblem,
  choicesOf,
  configProblems,
  labelOf,
  SCHEDULER_PARAMS,
  type SchedulerName,
  SETTINGS,
  schedulerParams,
} from 'kiln/config';
import { type MouseEvent, type ReactNode, useEffect, useId, useLayoutEffect, useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { OptimizerName, SchedulerConfig, TrainConfig } from '../../worker/protocol';
import { NumberField } from '../builder/NumberField';
import { configSummary } from '../format';
import { ResumeHelp } from '../runs/ResumeHelp';
import { useKiln, useTrainableSpec } from '../store';
import { whyNotResumable } from '../store/runActions';
import type { RunRecord } from '../store/runsSlice';
import { CopyLink } from './CopyLink';
import { FindLrButton, LrFinderPanel } from './LrFinder';
import { resumePoint } from './progress';
import { RunProgress } from './RunProgress';
import { SweepEditor, SweepProgress } from './SweepEditor';

/** The Train button's id, for the skip link. */
const TRAIN_ID = 'train-button';
/** The run bar's id: the skip link's target, focused itself while Train cannot act. */
const RUN_BAR_ID = 'run-bar';

/** Whether a key press is the Train shortcut: Ctrl+Enter (⌘+Enter on a Mac), as a notebook runs its cell. */
const isTrainShortcut = (e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>) =>
  e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;

/**
 * The page's first Tab stop, "Skip to training": it moves the focus to Train (to the run bar while
 * Train cannot act, so that the next Tab reaches Pause, Resume or Stop), past the builder and the form.
 */
export function SkipToTraining() {
  const skip = (e: MouseEvent) => {
    e.preventDefault();
    const train = document.getElementById(TRAIN_ID);
    if (train instanceof HTMLButtonElement && !train.disabled) train.focus();
    else document.getElementById(RUN_BAR_ID)?.focus();
  };
  return (
    <a className="skip-link" href={`#${RUN_BAR_ID}`} onClick={skip}>
      Skip to training
    </a>
  );
}

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
      // A text is split by position (90/10), not by the validation split: only the config itself is checked.
      configProblems(
        config,
        info && !info.text ? { trainSize: info.trainSize, hasTestSet: info.testSize > 0 } : undefined,
      ),
    [config, info],
  );
}

/** The messages about one field (a path like 'lr' or 'scheduler.gamma'), joined; undefined when none. */
function problemOf(problems: ConfigProblem[], field: string): string | undefined {
  const mine = problems.filter((p) => p.field === field);
  return mine.length ? mine.map((p) => p.message).join('; ') : undefined;
}

/** The config's fields that hold a number (or null for "off"). */
type NumericField = {
  [K in keyof TrainConfig]: TrainConfig[K] extends number | null ? K : never;
}[keyof TrainConfig];

/** A number field of the config, labelled and bounded by the settings table, with its problem. */
function ConfigField({ field }: { field: NumericField }) {
  const setting = SETTINGS[field];
  const off = setting.off;
  const value = useKiln((s) => s.config[field]);
  const setConfig = useKiln((s) => s.setConfig);
  const problem = problemOf(useConfigProblems(), field);
  return (
    <NumberField
      label={labelOf(setting)}
      value={value ?? undefined}
      integer={setting.kind.type === 'integer'}
      defaultText={off}
      problem={problem}
      onChange={(v) => setConfig({ [field]: off === undefined ? req(v) : opt(v) })}
    />
  );
}

/**
 * The block size: a text model's context, in the config (the data's windows) and in the model
 * (its input), so changing it rebuilds the builder's text preset too.
 */
export function BlockSizeField() {
  const value = useKiln((s) => s.config.blockSize);
  const setTextSizes = useKiln((s) => s.setTextSizes);
  const problem = problemOf(useConfigProblems(), 'blockSize');
  return (
    <NumberField
      label={labelOf(SETTINGS.blockSize)}
      value={value}
      integer
      problem={problem}
      onChange={(v) => setTextSizes({ blockSize: req(v) })}
    />
  );
}

/** The training panel. */
export function TrainingPanel() {
  const id = useId();
  const config = useKiln((s) => s.config);
  const setConfig = useKiln((s) => s.setConfig);
  const setOptimizer = useKiln((s) => s.setOptimizer);
  const setScheduler = useKiln((s) => s.setScheduler);
  const { error: specError } = useTrainableSpec();
  const datasetReady = useKiln((s) => s.dataset.status === 'ready' && s.dataset.info !== null);
  // A text trains in steps (nanoGPT's max_iters) with evaluations every evalEvery, not in epochs.
  const textData = useKiln((s) => s.dataset.info?.text !== undefined);
  const workerBackend = useKiln((s) => s.workerBackend);
  const active = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  // Only images take a normalisation: a table standardises each feature with its own figures.
  const images = useKiln((s) => s.dataset.info?.inputShape.length === 3);
  const problems = useConfigProblems();
  const problem = (field: string) => problemOf(problems, field);
  const training = active !== null && (active.state === 'running' || active.state === 'queued');
  const paused = active?.state === 'paused';
  const finding = useKiln((s) => s.lrFind?.status === 'running');
  // The finder ignores the lr (it sweeps it) but needs every other setting.
  const notFindable = !workerBackend
    ? 'Starting the training worker…'
    : !datasetReady
      ? 'Waiting for the dataset to load'
      : specError
        ? `The model cannot train: ${specError}`
        : problems.some((p) => p.field !== 'lr')
          ? 'Fix the settings first'
          : training || paused
            ? 'A run is training: stop it first'
            : null;
  const why = !workerBackend
    ? 'Starting the training worker…'
    : !datasetReady
      ? 'Waiting for the dataset to load'
      : specError
        ? `The model cannot train: ${specError}`
        : problems.length
          ? 'Fix the settings:'
          : finding
            ? 'The LR finder is running'
            : null;
  const betas = problem('betas');
  const betaLabels = SETTINGS.betas.kind.type === 'pair' ? SETTINGS.betas.kind.itemLabels : ['', ''];
  return (
    <section className="card training" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Training</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-opt`}>{labelOf(SETTINGS.optimizer)}</label>
          <select
            id={`${id}-opt`}
            value={config.optimizer}
            onChange={(e) => setOptimizer(e.target.value as OptimizerName)}
          >
            {choicesOf(SETTINGS.optimizer).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <ConfigField field="lr" />
        <FindLrButton disabledWhy={notFindable} />
        {config.optimizer === 'sgd' || config.optimizer === 'rmsprop' ? (
          <NumberField
            label={labelOf(SETTINGS.momentum)}
            value={config.momentum}
            integer={false}
            problem={problem('momentum')}
            // Nesterov needs momentum: it goes off with it.
            onChange={(v) => setConfig({ momentum: req(v), ...(req(v) > 0 ? {} : { nesterov: false }) })}
          />
        ) : (
          <>
            <NumberField
              label={betaLabels[0]}
              value={config.betas[0]}
              integer={false}
              problem={betas}
              onChange={(v) => setConfig({ betas: [req(v), config.betas[1]] })}
            />
            <NumberField
              label={betaLabels[1]}
              value={config.betas[1]}
              integer={false}
              problem={betas}
              onChange={(v) => setConfig({ betas: [config.betas[0], req(v)] })}
            />
          </>
        )}
        {config.optimizer === 'sgd' && (
          <label className="field field-bool" title={SETTINGS.nesterov.help}>
            <input
              type="checkbox"
              checked={config.nesterov}
              disabled={!(config.momentum > 0)}
              onChange={(e) => setConfig({ nesterov: e.target.checked })}
            />
            {labelOf(SETTINGS.nesterov)}
          </label>
        )}
        <ConfigField field="weightDecay" />
        <ConfigField field="batchSize" />
        {textData ? (
          <>
            <ConfigField field="steps" />
            <ConfigField field="evalEvery" />
            <BlockSizeField />
          </>
        ) : (
          <>
            <ConfigField field="epochs" />
            <ConfigField field="limit" />
          </>
        )}
        {images && (
          <>
            <ConfigField field="mean" />
            <ConfigField field="std" />
          </>
        )}
        <ConfigField field="seed" />
      </div>
      <LrFinderPanel />
      <h3>Schedule</h3>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-sched`}>{labelOf(SETTINGS.scheduler)}</label>
          <select
            id={`${id}-sched`}
            value={config.scheduler.name}
            onChange={(e) => setScheduler(e.target.value as SchedulerName)}
          >
            {choicesOf(SETTINGS.scheduler).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
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
        <ConfigField field="clipNorm" />
        <ConfigField field="clipValue" />
        <ConfigField field="labelSmoothing" />
        <ConfigField field="logEvery" />
      </div>
      <SweepEditor why={why} />
      <RunBar>
        <TrainActions active={active} why={why} training={training} paused={paused} />
        <div className="run-bar-progress">
          <SweepProgress run={active} />
          <RunProgress run={active} />
        </div>
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
  const { trainRun, pauseRun, resumeRun, stopRun, pauseSweep, resumeSweep, stopSweep } = useKiln(
    useShallow((s) => ({
      trainRun: s.trainRun,
      pauseRun: s.pauseRun,
      resumeRun: s.resumeRun,
      stopRun: s.stopRun,
      pauseSweep: s.pauseSweep,
      resumeSweep: s.resumeSweep,
      stopSweep: s.stopSweep,
    })),
  );
  // The shown run is its sweep's run in hand: Pause, Resume and Stop act on the sweep.
  const sweep = useKiln((s) => {
    const w = active?.sweep ? s.sweeps.find((x) => x.id === active.sweep?.id) : undefined;
    return w && w.state !== 'finished' && w.runs[w.current]?.runId === active?.id ? w : undefined;
  });
  const ready = workerBackend !== null && dataset.status === 'ready';
  const notResumable = sweep
    ? training
      ? 'the sweep is training'
      : ready
        ? null
        : 'waiting for the dataset to load'
    : active
      ? whyNotResumable(active, { dataset, workerBackend })
      : 'no run is shown';
  const canTrain = why === null && !training && !paused;
  // The shortcut acts wherever the focus is (a field just edited included: fields commit as typed).
  const shortcut = useRef({ canTrain, trainRun });
  shortcut.current = { canTrain, trainRun };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!isTrainShortcut(e) || e.repeat) return;
      e.preventDefault();
      if (shortcut.current.canTrain) shortcut.current.trainRun();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="train-actions">
      <button
        id={TRAIN_ID}
        type="button"
        className="primary"
        disabled={!canTrain}
        title="Train (Ctrl+Enter, ⌘+Enter on a Mac)"
        aria-keyshortcuts="Control+Enter Meta+Enter"
        onClick={() => trainRun()}
      >
        Train
      </button>
      <button
        type="button"
        disabled={active?.state !== 'running'}
        onClick={() => active && (sweep ? pauseSweep(sweep.id) : pauseRun(active.id))}
      >
        Pause
      </button>
      <button
        type="button"
        disabled={notResumable !== null}
        title={notResumable ?? undefined}
        onClick={() => active && void (sweep ? resumeSweep(sweep.id) : resumeRun(active.id))}
      >
        Resume
      </button>
      <button
        type="button"
        className="danger"
        disabled={!active || !(training || paused || (sweep !== undefined && sweep.state !== 'stopped'))}
        onClick={() => active && (sweep ? stopSweep(sweep.id) : stopRun(active.id))}
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
      Resume continues {active.name} {resumePoint(active)} with its own settings:{' '}
      {configSummary(active.config)}.
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
    <div ref={ref} id={RUN_BAR_ID} className="run-bar" tabIndex={-1}>
      {children}
    </div>
  );
}

/** The chosen scheduler's parameters, each labelled as the settings table declares it. */
function SchedulerFields({
  scheduler,
  problems,
  onChange,
}: {
  scheduler: SchedulerConfig;
  problems: ConfigProblem[];
  onChange: (s: SchedulerConfig) => void;
}) {
  const values = scheduler as unknown as Record<string, unknown>;
  const set = (key: string, v: unknown) => onChange({ ...scheduler, [key]: v } as SchedulerConfig);
  return (
    <>
      {schedulerParams(scheduler.name).map((key) => {
        const p = SCHEDULER_PARAMS[key];
        const label = labelOf(p);
        const problem = problemOf(problems, `scheduler.${key}`);
        if (p.kind.type === 'milestones')
          return (
            <MilestonesField
              key={`${scheduler.name}-${key}`}
              label={label}
              milestones={values[key] as number[]}
              onChange={(m) => set(key, m)}
            />
          );
        if (p.kind.type === 'choice')
          return (
            <ChoiceField
              key={`${scheduler.name}-${key}`}
              label={label}
              value={values[key] as string}
              choices={choicesOf(p)}
              onChange={(v) => set(key, v)}
            />
          );
        return (
          <NumberField
            key={`${scheduler.name}-${key}`}
            label={label}
            value={values[key] as number}
            integer={p.kind.type === 'integer'}
            problem={problem}
            onChange={(v) => set(key, v ?? Number.NaN)}
          />
        );
      })}
    </>
  );
}

/** A select of a choice parameter (ReduceLROnPlateau's mode). */
function ChoiceField({
  label,
  value,
  choices,
  onChange,
}: {
  label: string;
  value: string;
  choices: [string, string][];
  onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {choices.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** MultiStepLR's milestones as the user types them, whole epochs separated by commas. */
function MilestonesField({
  label,
  milestones,
  onChange,
}: {
  label: string;
  milestones: number[];
  onChange: (m: number[]) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
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
