/**
 * Every run in one sortable table, its setup beside its final metrics (TensorBoard's hparams view
 * in short): click a heading to sort by it, again to reverse; click a run's name to show it.
 */
import { useState } from 'react';
import { useKiln } from '../store';
import { RUN_COLUMNS, sortRuns } from './runRecord';

/** The runs table; shown from two runs on, when there is something to compare. */
export function RunsTable() {
  const runs = useKiln((s) => s.runs);
  const activeId = useKiln((s) => s.activeRunId);
  const setActive = useKiln((s) => s.setActiveRun);
  const [sort, setSort] = useState({ key: 'valAcc', descending: true });
  if (runs.length < 2) return null;
  const column = RUN_COLUMNS.find((c) => c.key === sort.key) ?? RUN_COLUMNS[0];
  const sorted = sortRuns(runs, column, sort.descending);
  return (
    <div className="table-scroll runs-table-wrap">
      <table className="runs-table" aria-label="Runs compared">
        <thead>
          <tr>
            {RUN_COLUMNS.map((c) => (
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
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={r.id} className={r.id === activeId ? 'active' : undefined}>
              {RUN_COLUMNS.map((c) =>
                c.key === 'name' ? (
                  <th key={c.key} scope="row" className="user-text">
                    <span className="swatch" style={{ background: r.color }} />{' '}
                    <button type="button" className="linkish" onClick={() => setActive(r.id)}>
                      {r.name}
                    </button>
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
  );
}
