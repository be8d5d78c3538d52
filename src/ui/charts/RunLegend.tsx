/**
 * The run selector shared by all charts: TensorBoard's "filter runs" box, then a colour key with a
 * checkbox to show or hide each run the filter keeps.
 */
import { useId } from 'react';
import type { ChartRun } from './types';

/** Props: the runs the filter keeps, how many there are in all, the filter, and the setters. */
export interface RunLegendProps {
  runs: readonly ChartRun[];
  total: number;
  filter: string;
  /** Why the filter is not a valid regular expression (it then matches as plain text), or null. */
  invalid: string | null;
  onFilter: (pattern: string) => void;
  onToggle: (id: string, visible: boolean) => void;
}

/** The filter box and a list of runs, each a labelled checkbox with its colour. */
export function RunLegend({ runs, total, filter, invalid, onFilter, onToggle }: RunLegendProps) {
  const id = useId();
  return (
    <fieldset className="run-legend">
      <legend>Runs</legend>
      <input
        type="search"
        className="run-filter"
        aria-label="Filter runs"
        placeholder="Filter runs (regex)"
        value={filter}
        aria-invalid={invalid !== null}
        aria-describedby={invalid === null ? undefined : `${id}-invalid`}
        onChange={(e) => onFilter(e.target.value)}
      />
      {/* Said before the runs it keeps: an invalid pattern must not read as "no run matches". */}
      {invalid !== null && (
        <span id={`${id}-invalid`} className="run-filter-invalid" role="status">
          Not a valid regex ({invalid}): matched as plain text
        </span>
      )}
      {runs.map((run) => (
        <label key={run.id} className="run-toggle user-text">
          <input type="checkbox" checked={run.visible} onChange={(e) => onToggle(run.id, e.target.checked)} />
          <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
          {run.name}
        </label>
      ))}
      {runs.length < total && (
        <span className="muted">
          {runs.length ? `${runs.length} of ${total} runs match` : 'No run matches the filter'}
        </span>
      )}
    </fieldset>
  );
}
