/**
 * The sweep editor under the training form: pick settings of the settings table and their values
 * (a list, or a range such as 1e-4..1e-1x5), seeds × N, the whole grid or N random draws; it says
 * how many runs that makes and starts them. Every other setting is the form's. The values are read
 * by train/sweep.ts, the one grammar the CLI's `npm run sweep` reads too, and every run's config is
 * checked by the form's validator before the first starts.
 */

import {
  ConfigError,
  labelOf,
  parseSweepValues,
  SETTINGS,
  SWEEP_FIELDS,
  type SweepAxis,
  type SweepField,
  type SweepSpec,
  sweepName,
  sweepSize,
} from 'kiln/config';
import { useId, useMemo, useState } from 'react';
import { useKiln } from '../store';
import type { RunRecord } from '../store/runsSlice';

/** One row of the editor: a setting and its values as typed. */
interface Row {
  field: SweepField;
  text: string;
}

/** What each kind of setting's values look like, for the placeholder. */
function example(field: SweepField): string {
  const kind = SETTINGS[field].kind;
  if (kind.type === 'choice') return kind.choices.slice(0, 2).join(',');
  if (kind.type === 'integer') return '16,32,64 or 1..4';
  return '1e-4,1e-3 or 1e-4..1e-1x4';
}

/** The rows and the seeds as a sweep, or what is wrong with each row. */
function readDraft(
  rows: Row[],
  seeds: number,
  seed: number,
  random: number | null,
): { spec: SweepSpec | null; problems: (string | null)[]; size: number | null; error: string | null } {
  const problems = rows.map(() => null as string | null);
  const axes: SweepAxis[] = [];
  rows.forEach((r, i) => {
    try {
      axes.push({ field: r.field, values: parseSweepValues(r.field, r.text) });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems[i] = e.message;
    }
  });
  if (!Number.isInteger(seeds) || seeds < 1)
    return { spec: null, problems, size: null, error: 'Seeds × N must be a whole number ≥ 1' };
  if (seeds > 1)
    axes.push({
      field: 'seed',
      values: { kind: 'list', values: Array.from({ length: seeds }, (_, i) => seed + i) },
    });
  if (random !== null && !(Number.isInteger(random) && random >= 1))
    return {
      spec: null,
      problems,
      size: null,
      error: 'The number of random draws must be a whole number ≥ 1',
    };
  if (problems.some((p) => p !== null)) return { spec: null, problems, size: null, error: null };
  if (!axes.length)
    return {
      spec: null,
      problems,
      size: null,
      error: 'Add a setting with several values, or seeds × 2 or more',
    };
  const twice = rows.find((r, i) => rows.findIndex((x) => x.field === r.field) !== i);
  if (twice)
    return { spec: null, problems, size: null, error: `${labelOf(SETTINGS[twice.field])} is picked twice` };
  const spec: SweepSpec = { axes, random: random === null ? null : { count: random, seed } };
  return { spec, problems, size: sweepSize(spec), error: null };
}

/** Props: why the form cannot train now (the Train button's reason), or null. */
export interface SweepEditorProps {
  why: string | null;
}

/** The sweep editor, folded under its heading until opened. */
export function SweepEditor({ why }: SweepEditorProps) {
  const id = useId();
  const seed = useKiln((s) => s.config.seed);
  const startSweep = useKiln((s) => s.startSweep);
  const busy = useKiln((s) => s.sweeps.some((w) => w.state === 'running' || w.state === 'paused'));
  const [rows, setRows] = useState<Row[]>([{ field: 'lr', text: '1e-4..1e-2x3' }]);
  const [seeds, setSeeds] = useState(1);
  const [mode, setMode] = useState<'grid' | 'random'>('grid');
  const [draws, setDraws] = useState(8);
  const [refused, setRefused] = useState<string | null>(null);
  const draft = useMemo(
    () => readDraft(rows, seeds, seed, mode === 'random' ? draws : null),
    [rows, seeds, seed, mode, draws],
  );
  const fields = SWEEP_FIELDS.filter((f) => f !== 'seed');
  const setRow = (i: number, row: Partial<Row>) => {
    setRefused(null);
    setRows(rows.map((r, j) => (j === i ? { ...r, ...row } : r)));
  };
  const blocked = why ?? (busy ? 'A sweep is under way: stop it before starting another' : null);
  return (
    <details className="sweep-editor">
      <summary>Sweep</summary>
      <p className="muted sweep-hint">
        Train one run per combination of values, one after another, each with the settings above otherwise.
        Values: a list (<code>1e-4,1e-3,1e-2</code>) or a range: <code>1e-4..1e-1x4</code> is 4 values evenly
        spaced in log, <code>1..4</code> every whole number.
      </p>
      <ul className="sweep-rows" aria-label="Swept settings">
        {rows.map((r, i) => {
          const problem = draft.problems[i];
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
            <li key={i} className={problem ? 'sweep-row invalid' : 'sweep-row'}>
              <select
                aria-label={`Swept setting ${i + 1}`}
                value={r.field}
                onChange={(e) => setRow(i, { field: e.target.value as SweepField })}
              >
                {fields.map((f) => (
                  <option key={f} value={f}>
                    {labelOf(SETTINGS[f])} ({sweepName(f)})
                  </option>
                ))}
              </select>
              <input
                type="text"
                aria-label={`Values of ${labelOf(SETTINGS[r.field])}`}
                value={r.text}
                placeholder={example(r.field)}
                aria-invalid={problem ? true : undefined}
                onChange={(e) => setRow(i, { text: e.target.value })}
              />
              <button
                type="button"
                aria-label={`Remove ${labelOf(SETTINGS[r.field])}`}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              >
                ✕
              </button>
              {problem && <span className="field-problem">{problem}</span>}
            </li>
          );
        })}
      </ul>
      <div className="sweep-options">
        <button
          type="button"
          onClick={() => {
            const free = fields.find((f) => !rows.some((r) => r.field === f)) ?? 'lr';
            setRows([...rows, { field: free, text: '' }]);
          }}
        >
          Add a setting
        </button>
        <div className="field">
          <label htmlFor={`${id}-seeds`}>Seeds × N</label>
          <input
            id={`${id}-seeds`}
            type="number"
            min={1}
            step={1}
            value={Number.isNaN(seeds) ? '' : seeds}
            onChange={(e) => setSeeds(e.target.value === '' ? Number.NaN : Number(e.target.value))}
          />
        </div>
        <fieldset className="sweep-mode">
          <legend>Runs</legend>
          <label>
            <input
              type="radio"
              name={`${id}-mode`}
              checked={mode === 'grid'}
              onChange={() => setMode('grid')}
            />
            Every combination (grid)
          </label>
          <label>
            <input
              type="radio"
              name={`${id}-mode`}
              checked={mode === 'random'}
              onChange={() => setMode('random')}
            />
            Random draws
          </label>
          {mode === 'random' && (
            <input
              className="sweep-draws"
              type="number"
              aria-label="Random draws"
              min={1}
              step={1}
              value={Number.isNaN(draws) ? '' : draws}
              onChange={(e) => setDraws(e.target.value === '' ? Number.NaN : Number(e.target.value))}
            />
          )}
        </fieldset>
      </div>
      <div className="sweep-start">
        <button
          type="button"
          className="primary"
          disabled={draft.spec === null || blocked !== null}
          title={blocked ?? undefined}
          onClick={async () => {
            if (draft.spec) setRefused(await startSweep(draft.spec));
          }}
        >
          Start sweep
        </button>
        <span className="sweep-count" aria-live="polite">
          {draft.size !== null
            ? `${draft.size} run${draft.size === 1 ? '' : 's'}${
                seeds > 1 ? ` (seeds ${seed}–${seed + seeds - 1} each)` : ''
              }${mode === 'random' ? `, drawn with seed ${seed}` : ''}`
            : (draft.error ?? 'Fix the values above')}
        </span>
        {blocked && draft.spec && <span className="muted">{blocked}</span>}
      </div>
      {refused && (
        <p className="train-problems" role="alert">
          {refused}
        </p>
      )}
    </details>
  );
}

const SWEEP_STATE_TEXT = {
  running: 'running',
  paused: 'paused',
  stopped: 'stopped',
  finished: 'finished',
} as const;

/** The run bar's word on the shown run's sweep: its name, the run's place in it, and the sweep's state. */
export function SweepProgress({ run }: { run: RunRecord | null }) {
  const sweep = useKiln((s) => (run?.sweep ? s.sweeps.find((w) => w.id === run.sweep?.id) : undefined));
  if (!run?.sweep) return null;
  const { index, count, name } = run.sweep;
  const done = sweep ? Math.min(sweep.current, count) : null;
  return (
    <p className="sweep-progress">
      <span className="sweep-badge">Sweep</span> <span className="user-text">{name}</span>: run {index + 1} of{' '}
      {count}
      {sweep && (
        <span className="muted">
          {' '}
          · {done} done · {SWEEP_STATE_TEXT[sweep.state]}
        </span>
      )}
    </p>
  );
}
