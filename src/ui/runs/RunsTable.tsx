/**
 * Every shown run in one sortable table, its setup beside its final metrics (TensorBoard's hparams
 * table): click a heading to sort by it, again to reverse; click a run's name to show it. Any
 * setting can be added as a column, and the runs grouped by one (their seeds, say), each group a
 * row with the mean of its metrics and their min and max.
 */
import { useId, useState } from 'react';
import { groupRuns, groupStats, HPARAMS, hparamOf, METRICS } from '../hparams/hparams';
import type { HparamsView } from '../store/hparamsSlice';
import type { RunRecord } from '../store/runsSlice';
import { RUN_COLUMNS, type RunColumn, sortRuns } from './runRecord';
import '../hparams/hparams.css';

/** Props: the shown runs, the view's columns and grouping, and which run is active (with its setter, none when read-only). */
export interface RunsTableProps {
  runs: readonly RunRecord[];
  view: HparamsView;
  onView: (change: Partial<HparamsView>) => void;
  activeId?: string | null;
  onPick?: (id: string) => void;
}

/** The table's columns: the standard ones, the added settings before the progress and metrics. */
function columnsOf(added: readonly string[]): RunColumn[] {
  const extra = added
    .map((key) => HPARAMS.find((h) => h.key === key))
    .filter((h) => h !== undefined)
    .map((h) => ({
      key: h.key,
      label: h.label,
      value: h.value,
      text: (r: RunRecord) => String(h.value(r) ?? '—'),
    }));
  const at = RUN_COLUMNS.findIndex((c) => c.key === 'epochs');
  return [...RUN_COLUMNS.slice(0, at), ...extra, ...RUN_COLUMNS.slice(at)];
}

/** The metrics whose group cells read as mean with [min–max]. */
const METRIC_COLUMNS = new Set(['valAcc', 'valLoss']);

/** The runs table; shown from two runs on, when there is something to compare. */
export function RunsTable({ runs, view, onView, activeId, onPick }: RunsTableProps) {
  const id = useId();
  const [sort, setSort] = useState({ key: 'valAcc', descending: true });
  if (runs.length < 2) return null;
  const columns = columnsOf(view.columns);
  const column = columns.find((c) => c.key === sort.key) ?? columns[0];
  const sorted = sortRuns(runs, column, sort.descending);
  const shownKeys = new Set(columns.map((c) => c.key));
  const addable = HPARAMS.filter((h) => !shownKeys.has(h.key));
  const groupBy = view.groupBy ? hparamOf(view.groupBy) : undefined;
  return (
    <div className="runs-table-block">
      <div className="runs-table-controls">
        <label>
          Add column
          <select
            value=""
            onChange={(e) => e.target.value && onView({ columns: [...view.columns, e.target.value] })}
          >
            <option value="">setting…</option>
            {addable.map((h) => (
              <option key={h.key} value={h.key}>
                {h.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Group by
          <select
            id={`${id}-group`}
            value={view.groupBy ?? ''}
            onChange={(e) => onView({ groupBy: e.target.value || null })}
          >
            <option value="">none</option>
            {HPARAMS.map((h) => (
              <option key={h.key} value={h.key}>
                {h.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="table-scroll runs-table-wrap">
        <table className="runs-table" aria-label="Runs compared">
          <thead>
            <tr>
              {columns.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={c.key === sort.key ? (sort.descending ? 'descending' : 'ascending') : undefined}
                >
                  <button
                    type="button"
                    className="linkish"
                    onClick={() =>
                      setSort({ key: c.key, descending: c.key === sort.key ? !sort.descending : true })
                    }
                  >
                    {c.label}
                    {c.key === sort.key ? (sort.descending ? ' ↓' : ' ↑') : ''}
                  </button>
                  {view.columns.includes(c.key) && (
                    <button
                      type="button"
                      className="linkish remove-column"
                      aria-label={`Remove the ${c.label} column`}
                      onClick={() => onView({ columns: view.columns.filter((k) => k !== c.key) })}
                    >
                      ×
                    </button>
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {groupBy
              ? groupRuns(sorted, groupBy).map((g) => (
                  <GroupRow
                    key={g.label}
                    label={`${groupBy.short} = ${g.label}`}
                    runs={g.runs}
                    columns={columns}
                  />
                ))
              : sorted.map((r) => (
                  <tr key={r.id} className={r.id === activeId ? 'active' : undefined}>
                    {columns.map((c) =>
                      c.key === 'name' ? (
                        <th key={c.key} scope="row" className="user-text">
                          <span className="swatch" style={{ background: r.color }} />{' '}
                          {onPick ? (
                            <button type="button" className="linkish" onClick={() => onPick(r.id)}>
                              {r.name}
                            </button>
                          ) : (
                            r.name
                          )}
                        </th>
                      ) : (
                        <td key={c.key} className="num">
                          {c.text(r)}
                        </td>
                      ),
                    )}
                  </tr>
                ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/**
 * A group's row: its setting's value and run count, each metric's mean with its [min–max] over
 * the group, and every other column's value where the group shares it ("mixed" where not).
 */
function GroupRow({ label, runs, columns }: { label: string; runs: RunRecord[]; columns: RunColumn[] }) {
  return (
    <tr className="group-row">
      {columns.map((c) => {
        if (c.key === 'name')
          return (
            <th key={c.key} scope="row" className="user-text">
              {label} <span className="muted">({runs.length} runs)</span>
            </th>
          );
        if (METRIC_COLUMNS.has(c.key)) {
          const metric = METRICS.find((m) => m.key === c.key) ?? METRICS[0];
          const stats = groupStats(runs.map(metric.value));
          return (
            <td key={c.key} className="num">
              {stats ? (
                <>
                  {metric.format(stats.mean)}{' '}
                  <span className="spread">
                    [{metric.format(stats.min)}–{metric.format(stats.max)}]
                  </span>
                </>
              ) : (
                '—'
              )}
            </td>
          );
        }
        const texts = new Set(runs.map(c.text));
        return (
          <td key={c.key} className="num">
            {texts.size === 1 ? [...texts][0] : <span className="muted">mixed ({texts.size})</span>}
          </td>
        );
      })}
    </tr>
  );
}
