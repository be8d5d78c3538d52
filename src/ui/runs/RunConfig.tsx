/**
 * A run as a reproducible record: its model, dataset and every training setting in one table, side
 * by side with another run's when one is chosen to compare (the rows that differ marked), and
 * "Load these settings" to put the model in the builder and the settings in the form.
 */
import { useId, useMemo, useState } from 'react';
import { useKiln } from '../store';
import type { RunRecord } from '../store/runsSlice';
import { recordRows } from './runRecord';

/**
 * The run's record, the run to compare it with, and the button that loads it back. `peers` are the
 * runs to compare with (the page's own by default); `readOnly` (an opened experiment) has no button.
 */
export function RunConfig({
  run,
  peers,
  readOnly = false,
}: {
  run: RunRecord;
  peers?: readonly RunRecord[];
  readOnly?: boolean;
}) {
  const id = useId();
  const loadRunSettings = useKiln((s) => s.loadRunSettings);
  const own = useKiln((s) => s.runs);
  const runs = peers ?? own;
  const [otherId, setOtherId] = useState('');
  const other = runs.find((r) => r.id === otherId && r.id !== run.id) ?? null;
  const rows = useMemo(() => recordRows(run), [run]);
  const otherRows = useMemo(() => (other ? recordRows(other) : null), [other]);
  const differ = otherRows ? rows.filter((r, i) => r.text !== otherRows[i].text).length : 0;
  return (
    <div className="run-config">
      {runs.length > 1 && (
        <div className="field run-compare">
          <label htmlFor={id}>Compare with</label>
          <select
            id={id}
            className="user-text"
            value={other?.id ?? ''}
            onChange={(e) => setOtherId(e.target.value)}
          >
            <option value="">no other run</option>
            {runs
              .filter((r) => r.id !== run.id)
              .map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
          </select>
          {other && (
            <span className="muted">{differ === 1 ? '1 setting differs' : `${differ} settings differ`}</span>
          )}
        </div>
      )}
      {/* Two runs' records side by side outgrow a phone: the table scrolls in its own box. */}
      <div className="table-scroll">
        <table aria-label={`Settings of ${run.name}`} className={other ? 'compared' : undefined}>
          {other && (
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col" className="user-text">
                  {run.name}
                </th>
                <th scope="col" className="user-text">
                  {other.name}
                </th>
              </tr>
            </thead>
          )}
          <tbody>
            {rows.map((row, i) => {
              const theirs = otherRows?.[i].text;
              const differs = theirs !== undefined && theirs !== row.text;
              return (
                <tr key={row.label} className={differs ? 'differs' : undefined}>
                  <th scope="row">{row.label}</th>
                  <td>{row.text}</td>
                  {theirs !== undefined && <td>{theirs}</td>}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!readOnly && (
        <button
          type="button"
          onClick={() => loadRunSettings(run.id)}
          title="Put this run's model in the builder and its settings in the form, to train it anew"
        >
          Load these settings
        </button>
      )}
    </div>
  );
}
