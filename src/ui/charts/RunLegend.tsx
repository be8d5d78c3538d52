/** The run selector shared by all charts: a colour key with a checkbox to show or hide each run. */
import type { ChartRun } from './types';

/** Props: the runs and what to do when one is toggled. */
export interface RunLegendProps {
  runs: readonly ChartRun[];
  onToggle: (id: string, visible: boolean) => void;
}

/** A list of runs, each a labelled checkbox with its colour. */
export function RunLegend({ runs, onToggle }: RunLegendProps) {
  return (
    <fieldset className="run-legend">
      <legend>Runs</legend>
      {runs.map((run) => (
        <label key={run.id} className="run-toggle">
          <input type="checkbox" checked={run.visible} onChange={(e) => onToggle(run.id, e.target.checked)} />
          <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
          {run.name}
        </label>
      ))}
    </fieldset>
  );
}
