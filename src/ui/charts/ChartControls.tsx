/**
 * TensorBoard's chart settings: smoothing, what the x-axis measures, a log-scale y-axis, and a y-axis
 * that ignores outliers.
 */
import { useId } from 'react';
import { X_AXIS_LABELS } from './format';
import type { XAxisKind } from './types';

/** Props: the current settings and their setters. */
export interface ChartControlsProps {
  smoothing: number;
  xAxis: XAxisKind;
  logScale: boolean;
  ignoreOutliers: boolean;
  onSmoothing: (w: number) => void;
  onXAxis: (kind: XAxisKind) => void;
  onLogScale: (on: boolean) => void;
  onIgnoreOutliers: (on: boolean) => void;
}

/** The settings row above the charts. */
export function ChartControls(p: ChartControlsProps) {
  const id = useId();
  return (
    <div className="chart-controls">
      <div className="control">
        <label htmlFor={`${id}-smoothing`}>Smoothing</label>
        <input
          id={`${id}-smoothing`}
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={p.smoothing}
          onChange={(e) => p.onSmoothing(Number(e.target.value))}
        />
        <output htmlFor={`${id}-smoothing`} className="num">
          {p.smoothing.toFixed(2)}
        </output>
      </div>
      <fieldset className="control segmented">
        <legend>Horizontal axis</legend>
        {(Object.keys(X_AXIS_LABELS) as XAxisKind[]).map((kind) => (
          <label key={kind}>
            <input
              type="radio"
              name={`${id}-xaxis`}
              value={kind}
              checked={p.xAxis === kind}
              onChange={() => p.onXAxis(kind)}
            />
            {X_AXIS_LABELS[kind]}
          </label>
        ))}
      </fieldset>
      <label className="control">
        <input type="checkbox" checked={p.logScale} onChange={(e) => p.onLogScale(e.target.checked)} />
        Log scale (y)
      </label>
      <label
        className="control"
        title="The y-axis spans each run's 5th to 95th percentile in view; runs that diverged are left out, and named"
      >
        <input
          type="checkbox"
          checked={p.ignoreOutliers}
          onChange={(e) => p.onIgnoreOutliers(e.target.checked)}
        />
        Ignore outliers in chart scaling
      </label>
    </div>
  );
}
