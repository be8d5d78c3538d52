/** The metrics panel: chart settings, the run selector, and one chart per logged tag, TensorBoard-style. */

import { useEffect, useId, useMemo, useState } from 'react';
import { HEALTH_TAGS } from '../inside/gradientHealth';
import { ChartControls } from './ChartControls';
import { groupSeries } from './groupSeries';
import { RUN_COLORS } from './palette';
import { RunLegend } from './RunLegend';
import { parseRunFilter, runSearch } from './runFilter';
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
  /** A further test the runs must pass besides the filter (the hyperparameter view's brushes). */
  keep?: (run: ChartRun) => boolean;
  /** Each run's group (its value of the runs table's group-by setting); absent when not grouping. */
  groupOf?: (run: ChartRun) => string;
  /** Draw each group as its mean with a min-max band instead of its runs (needs groupOf). */
  groupCharts?: boolean;
  onGroupCharts?: (on: boolean) => void;
  /** The panel's heading (an opened experiment's says whose runs these are). */
  title?: string;
}

/**
 * The visible `runs` as groups, W&B's way: one chart run per group, its mean and min-max band,
 * coloured in the run palette's order and named with its size.
 */
function groupedRuns(runs: readonly ChartRun[], groupOf: (run: ChartRun) => string): ChartRun[] {
  const groups = new Map<string, ChartRun[]>();
  for (const run of runs.filter((r) => r.visible)) {
    const label = groupOf(run);
    groups.set(label, [...(groups.get(label) ?? []), run]);
  }
  return [...groups].map(([label, members], i) =>
    groupSeries(members, {
      id: `group:${label}`,
      name: `${label} (mean of ${members.length}, min–max)`,
      color: RUN_COLORS[i % RUN_COLORS.length],
    }),
  );
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
export function ScalarsPanel({
  runs,
  runFilter,
  onRunFilter,
  onToggleRun,
  keep,
  groupOf,
  groupCharts = false,
  onGroupCharts,
  title = 'Scalars',
  ...settings
}: ScalarsPanelProps) {
  const titleId = useId();
  // Every run's tags, not only the kept runs': typing a filter does not add or drop charts.
  const tags = allTags(runs);
  const filter = useMemo(() => parseRunFilter(runFilter), [runFilter]);
  // Found by name, tag or notes (the filter's rules), and within the hyperparameter view's brushes.
  const kept = useMemo(() => {
    const found = runSearch(runFilter);
    return runs.filter((run) => found(run) && (keep?.(run) ?? true));
  }, [runs, runFilter, keep]);
  const drawn = useMemo(
    () => (groupCharts && groupOf ? groupedRuns(kept, groupOf) : kept),
    [kept, groupCharts, groupOf],
  );
  return (
    <section className="card scalars" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <ChartControls
        {...settings}
        groupCharts={groupCharts && !!groupOf}
        onGroupCharts={groupOf && onGroupCharts ? onGroupCharts : undefined}
      />
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
      {drawn !== kept && (
        <ul className="group-key" aria-label="Groups drawn">
          {drawn.map((g) => (
            <li key={g.id} className="user-text">
              <span className="swatch" style={{ background: g.color }} aria-hidden="true" /> {g.name}
            </li>
          ))}
        </ul>
      )}
      <div className="chart-grid">
        {tags.map((tag, i) => (
          <StaggeredChart
            key={tag}
            order={i}
            tag={tag}
            runs={drawn}
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
