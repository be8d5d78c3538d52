/** The metrics panel: chart settings, the run selector, and one chart per logged tag, TensorBoard-style. */

import { useEffect, useMemo, useState } from 'react';
import { HEALTH_TAGS } from '../inside/gradientHealth';
import { ChartControls } from './ChartControls';
import { RunLegend } from './RunLegend';
import { parseRunFilter } from './runFilter';
import { ScalarChart, type ScalarChartProps } from './ScalarChart';
import type { ChartRun, XAxisKind } from './types';

/** Props: the runs to draw, the shared settings, the run filter and their setters. */
export interface ScalarsPanelProps {
  runs: readonly ChartRun[];
  smoothing: number;
  xAxis: XAxisKind;
  logScale: boolean;
  ignoreOutliers: boolean;
  /** TensorBoard's "filter runs": a case-insensitive regular expression (or text) run names must match. */
  runFilter: string;
  onSmoothing: (w: number) => void;
  onXAxis: (kind: XAxisKind) => void;
  onLogScale: (on: boolean) => void;
  onIgnoreOutliers: (on: boolean) => void;
  onRunFilter: (pattern: string) => void;
  onToggleRun: (id: string, visible: boolean) => void;
}

/**
 * The tags every training run logs, in the order they are shown: the live training loss first
 * (validation is logged once an epoch, so its charts stay empty through the first), its
 * validation loss beside it. Their charts are there from the start, so nothing mounts mid-training.
 */
const STANDARD_TAGS = ['Loss/train', 'Loss/val', 'Accuracy/val', 'learning_rate'];

/** Tags the Gradient health panel draws, per layer: charted once, there, not again here. */
const HEALTH_PREFIXES = Object.values(HEALTH_TAGS);

/**
 * The standard tags, then every other tag any run logged (but gradient health's), sorted so e.g.
 * BPC/train and BPC/val sit side by side.
 */
function allTags(runs: readonly ChartRun[]): string[] {
  const logged = runs.flatMap((r) => Object.keys(r.series));
  const shown = logged.filter((tag) => !HEALTH_PREFIXES.some((p) => tag.startsWith(p)));
  const more = [...new Set(shown)].filter((tag) => !STANDARD_TAGS.includes(tag)).sort();
  return [...STANDARD_TAGS, ...more];
}

/** How far apart the charts take new data, so each redraw is a main-thread task of its own. */
const STAGGER_MS = 60;

/**
 * A chart that takes new runs a little after its neighbours: when a batch of metrics changes
 * several tags at once, the charts redraw one per task instead of all in one long task.
 */
function StaggeredChart({ order, runs, ...rest }: ScalarChartProps & { order: number }) {
  const [shown, setShown] = useState(runs);
  useEffect(() => {
    const t = setTimeout(() => setShown(runs), order * STAGGER_MS);
    return () => clearTimeout(t);
  }, [runs, order]);
  return <ScalarChart runs={shown} {...rest} />;
}

/** The scalars dashboard. */
export function ScalarsPanel({ runs, runFilter, onRunFilter, onToggleRun, ...settings }: ScalarsPanelProps) {
  // Every run's tags, not only the kept runs': typing a filter does not add or drop charts.
  const tags = allTags(runs);
  const filter = useMemo(() => parseRunFilter(runFilter), [runFilter]);
  const kept = useMemo(() => runs.filter((run) => filter.matches(run.name)), [runs, filter]);
  return (
    <section className="card scalars" aria-labelledby="scalars-title">
      <h2 id="scalars-title">Scalars</h2>
      <ChartControls {...settings} />
      {runs.length === 0 ? (
        <p className="empty-state muted">
          No runs yet. Once a model trains, its loss, accuracy and learning rate appear here, one chart per
          tag, updating as the worker reports them.
        </p>
      ) : (
        <RunLegend
          runs={kept}
          total={runs.length}
          filter={runFilter}
          invalid={filter.invalid}
          onFilter={onRunFilter}
          onToggle={onToggleRun}
        />
      )}
      <div className="chart-grid">
        {tags.map((tag, i) => (
          <StaggeredChart
            key={tag}
            order={i}
            tag={tag}
            runs={kept}
            smoothing={settings.smoothing}
            xAxis={settings.xAxis}
            logScale={settings.logScale}
            ignoreOutliers={settings.ignoreOutliers}
          />
        ))}
      </div>
    </section>
  );
}
