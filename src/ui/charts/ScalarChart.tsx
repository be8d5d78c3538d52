/**
 * One TensorBoard-style scalar chart: every shown run's series for a tag, the raw values faint behind
 * the smoothed line, with a hover read-out of step, smoothed and raw values, zoomed by dragging.
 */
import { memo, useMemo, useState } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  type TooltipContentProps,
  XAxis,
  YAxis,
} from 'recharts';
import { yAxisRange } from './axes';
import { type ChartRow, chartRows, pointCounts, rowKeys, valuesInView, xExtent } from './chartData';
import { formatTick, formatValue, formatX, X_AXIS_LABELS } from './format';
import { niceTicks } from './ticks';
import type { ChartRun, XAxisKind } from './types';
import { ZoomSurface } from './ZoomSurface';

/** Props: the runs (hidden ones are skipped), the tag to draw and the shared chart settings. */
export interface ScalarChartProps {
  tag: string;
  runs: readonly ChartRun[];
  smoothing: number;
  xAxis: XAxisKind;
  logScale: boolean;
  ignoreOutliers: boolean;
}

/**
 * Whether a chart would draw the same: same settings and, per run, the same identity, visibility,
 * colour and series for this tag. A flush of new training steps then redraws only the charts of
 * the tags that changed, keeping each main-thread task short.
 */
function sameChart(a: ScalarChartProps, b: ScalarChartProps): boolean {
  if (
    a.tag !== b.tag ||
    a.smoothing !== b.smoothing ||
    a.xAxis !== b.xAxis ||
    a.logScale !== b.logScale ||
    a.ignoreOutliers !== b.ignoreOutliers
  )
    return false;
  if (a.runs.length !== b.runs.length) return false;
  return a.runs.every((r, i) => {
    const o = b.runs[i];
    return (
      r.id === o.id &&
      r.visible === o.visible &&
      r.color === o.color &&
      r.name === o.name &&
      r.diverged === o.diverged &&
      r.series[a.tag] === o.series[a.tag]
    );
  });
}

const MARGIN = { top: 8, right: 16, bottom: 4, left: 0 };
const Y_AXIS_WIDTH = 56;
/** Where the plot lies in the chart's box, for drag-to-zoom to turn pixels into x. */
const PLOT_INSETS = { left: MARGIN.left + Y_AXIS_WIDTH, right: MARGIN.right };
/** At most this many x ticks: their labels ("12,345", "1m 05s") stay apart on a phone's chart. */
const X_TICKS = 5;
/** The read-out is no wider than the plot, so it is never cut at the chart's right edge. */
const READOUT_STYLE = { maxWidth: `calc(100% - ${PLOT_INSETS.left + PLOT_INSETS.right}px)`, zIndex: 1 };

/** A chart of one tag across runs, zoomed by dragging across it. */
export const ScalarChart = memo(function ScalarChart({
  tag,
  runs,
  smoothing,
  xAxis,
  logScale,
  ignoreOutliers,
}: ScalarChartProps) {
  const shown = useMemo(() => runs.filter((r) => r.visible), [runs]);
  const rows = useMemo(
    () => chartRows(shown, tag, smoothing, xAxis, logScale),
    [shown, tag, smoothing, xAxis, logScale],
  );
  const counts = useMemo(() => pointCounts(rows, shown.length), [rows, shown]);
  // Zoom belongs to this chart and to its x-axis kind: a range of steps means nothing in seconds.
  const [zoom, setZoom] = useState<{ kind: XAxisKind; range: [number, number] } | null>(null);
  const extent = useMemo(() => xExtent(rows), [rows]);
  const xDomain = zoom?.kind === xAxis ? zoom.range : extent;
  // Steps are whole numbers: their ticks are too (never 191.75), zoomed or not.
  const xTicks = useMemo(
    () => (xDomain ? niceTicks(xDomain[0], xDomain[1], X_TICKS, xAxis === 'step') : []),
    [xDomain, xAxis],
  );
  // The y-axis spans what is drawn in view: zoomed, it follows the visible stretch of the curves,
  // smoothed and raw, up to where they cross the plot's edges.
  const yAxis = useMemo(() => {
    if (!xDomain) return null;
    const inView = valuesInView(rows, shown.length, xDomain, logScale);
    return yAxisRange(
      inView.map((v, i) => ({ ...v, diverged: shown[i].diverged === true })),
      logScale,
      ignoreOutliers,
    );
  }, [rows, shown, xDomain, logScale, ignoreOutliers]);
  const leftOut = yAxis?.leftOut ?? [];
  const zoomed = zoom?.kind === xAxis;
  return (
    <figure className="scalar-chart" aria-label={`${tag} chart`}>
      <figcaption>
        <span>{tag}</span>
        <button
          type="button"
          className="chart-reset"
          disabled={!zoomed}
          onClick={() => setZoom(null)}
          title="Drag across a chart to zoom in; double-click it to zoom back out"
        >
          Reset zoom
        </button>
      </figcaption>
      {leftOut.length > 0 && (
        <p className="chart-note muted">
          Left out of the y range:{' '}
          {leftOut.map(({ run, why }, i) => (
            <span key={shown[run].id} className="user-text">
              {i > 0 && ', '}
              {shown[run].name} ({why})
            </span>
          ))}
        </p>
      )}
      <ZoomSurface
        insets={PLOT_INSETS}
        domain={xDomain}
        integer={xAxis === 'step'}
        onZoom={(range) => setZoom({ kind: xAxis, range })}
        onReset={() => setZoom(null)}
      >
        {/* The plot stays mounted while empty, so the first values update it instead of building it. */}
        {rows.length === 0 && (
          <p className="chart-empty muted">
            {logScale ? 'No positive values to draw on a log scale.' : 'No values for the shown runs yet.'}
          </p>
        )}
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={rows} margin={MARGIN}>
            <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
            <XAxis
              dataKey="x"
              type="number"
              domain={xDomain && xDomain[1] > xDomain[0] ? xDomain : ['dataMin', 'dataMax']}
              // Zoomed, the lines run on past the plot's edges: clipped there, not squeezed in.
              allowDataOverflow
              ticks={xTicks}
              interval={0}
              tickFormatter={(x: number) => formatX(x, xAxis)}
              stroke="var(--muted)"
              fontSize={11}
            />
            <YAxis
              interval={0}
              type="number"
              scale={logScale ? 'log' : 'linear'}
              domain={yAxis ? yAxis.domain : ['auto', 'auto']}
              ticks={yAxis?.ticks}
              // Outliers left out of the range are cut at the plot's edge rather than widening it.
              allowDataOverflow
              tickFormatter={formatTick}
              stroke="var(--muted)"
              fontSize={11}
              width={Y_AXIS_WIDTH}
            />
            <Tooltip
              content={(p: TooltipContentProps) => <ReadOut {...p} runs={shown} xAxis={xAxis} />}
              // Kept inside the plot (flipped left or up at its edges), never clipped by the chart's box.
              allowEscapeViewBox={{ x: false, y: false }}
              wrapperStyle={READOUT_STYLE}
              isAnimationActive={false}
            />
            {shown.map((run, i) => {
              const keys = rowKeys(i);
              return [
                <Line
                  key={`${run.id}-raw`}
                  dataKey={keys.raw}
                  stroke={run.color}
                  strokeOpacity={0.25}
                  dot={false}
                  activeDot={false}
                  connectNulls
                  isAnimationActive={false}
                />,
                <Line
                  key={`${run.id}-smooth`}
                  dataKey={keys.smooth}
                  stroke={run.color}
                  strokeWidth={2}
                  // A run with one point (a one-epoch validation) has no line to draw: a dot shows it.
                  dot={counts[i] === 1 ? { r: 3, fill: run.color, strokeWidth: 0 } : false}
                  activeDot={{ r: 3 }}
                  connectNulls
                  isAnimationActive={false}
                />,
              ];
            })}
          </LineChart>
        </ResponsiveContainer>
      </ZoomSurface>
    </figure>
  );
}, sameChart);

function ReadOut({
  active,
  payload,
  runs,
  xAxis,
}: TooltipContentProps & { runs: readonly ChartRun[]; xAxis: XAxisKind }) {
  const row = payload?.[0]?.payload as ChartRow | undefined;
  if (!active || !row) return null;
  // Off the step axis, runs reach the same x at different steps: each row says its own.
  const perRunStep = xAxis !== 'step';
  return (
    <div className="chart-readout">
      <table>
        <thead>
          <tr>
            {/* Where the pointer is, in the corner the run names head. */}
            <th>
              {X_AXIS_LABELS[xAxis]} <span className="num">{formatX(row.x, xAxis)}</span>
            </th>
            <th>Smoothed</th>
            <th>Value</th>
            {perRunStep && <th>Step</th>}
          </tr>
        </thead>
        <tbody>
          {runs.map((run, i) => {
            const keys = rowKeys(i);
            if (row[keys.raw] === undefined) return null;
            return (
              <tr key={run.id}>
                <td>
                  <span className="swatch" style={{ background: run.color }} />{' '}
                  <span className="readout-name">{run.name}</span>
                </td>
                <td className="num">{formatValue(row[keys.smooth])}</td>
                <td className="num">{formatValue(row[keys.raw])}</td>
                {perRunStep && <td className="num">{row[keys.step]}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
