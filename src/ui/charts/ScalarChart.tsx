/**
 * One TensorBoard-style scalar chart: every shown run's series for a tag, the raw values faint behind
 * the smoothed line, with a hover read-out of step, smoothed and raw values.
 */
import { memo, useMemo } from 'react';
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
import { type ChartRow, chartRows, evenTicks, pointCounts, rowKeys } from './chartData';
import { formatValue, formatX, X_AXIS_LABELS } from './format';
import type { ChartRun, XAxisKind } from './types';

/** Props: the runs (hidden ones are skipped), the tag to draw and the shared chart settings. */
export interface ScalarChartProps {
  tag: string;
  runs: readonly ChartRun[];
  smoothing: number;
  xAxis: XAxisKind;
  logScale: boolean;
}

/**
 * Whether a chart would draw the same: same settings and, per run, the same identity, visibility,
 * colour and series for this tag. A flush of new training steps then redraws only the charts of
 * the tags that changed, keeping each main-thread task short.
 */
function sameChart(a: ScalarChartProps, b: ScalarChartProps): boolean {
  if (a.tag !== b.tag || a.smoothing !== b.smoothing || a.xAxis !== b.xAxis || a.logScale !== b.logScale)
    return false;
  if (a.runs.length !== b.runs.length) return false;
  return a.runs.every((r, i) => {
    const o = b.runs[i];
    return (
      r.id === o.id &&
      r.visible === o.visible &&
      r.color === o.color &&
      r.name === o.name &&
      r.series[a.tag] === o.series[a.tag]
    );
  });
}

/** A chart of one tag across runs. */
export const ScalarChart = memo(function ScalarChart({
  tag,
  runs,
  smoothing,
  xAxis,
  logScale,
}: ScalarChartProps) {
  const shown = useMemo(() => runs.filter((r) => r.visible), [runs]);
  const rows = useMemo(
    () => chartRows(shown, tag, smoothing, xAxis, logScale),
    [shown, tag, smoothing, xAxis, logScale],
  );
  // Steps are whole numbers: their ticks are too (never 191.75).
  const xTicks = useMemo(() => evenTicks(rows, xAxis === 'step'), [rows, xAxis]);
  const counts = useMemo(() => pointCounts(rows, shown.length), [rows, shown]);
  // A constant series (a fixed learning rate, a single validation point) gets a band of half a
  // decade's step around its value: recharts' automatic axis would run through 0 into negatives.
  const yDomain = useMemo(() => {
    const values = rows.flatMap((r) =>
      Object.entries(r)
        .filter(([k]) => k !== 'x' && !k.startsWith('step'))
        .map(([, v]) => v as number),
    );
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    if (!values.length || lo !== hi || lo === 0)
      return { domain: ['auto', 'auto'] as const, ticks: undefined };
    const half = 10 ** Math.floor(Math.log10(Math.abs(lo))) / 2;
    // The value itself is the middle tick, so the axis reads it exactly.
    return { domain: [lo - half, hi + half] as const, ticks: [lo - half, lo, hi + half] };
  }, [rows]);
  return (
    <figure className="scalar-chart" aria-label={`${tag} chart`}>
      <figcaption>{tag}</figcaption>
      <div className="scalar-chart-plot">
        {/* The plot stays mounted while empty, so the first values update it instead of building it. */}
        {rows.length === 0 && (
          <p className="chart-empty muted">
            {logScale ? 'No positive values to draw on a log scale.' : 'No values for the shown runs yet.'}
          </p>
        )}
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
            <XAxis
              dataKey="x"
              type="number"
              domain={['dataMin', 'dataMax']}
              ticks={xTicks}
              interval={0}
              tickFormatter={(x: number) => formatX(x, xAxis)}
              stroke="var(--muted)"
              fontSize={11}
            />
            <YAxis
              interval={0}
              tickCount={5}
              type="number"
              scale={logScale ? 'log' : 'linear'}
              domain={logScale ? ['auto', 'auto'] : [...yDomain.domain]}
              ticks={logScale ? undefined : yDomain.ticks}
              allowDataOverflow={logScale}
              tickFormatter={formatValue}
              stroke="var(--muted)"
              fontSize={11}
              width={56}
            />
            <Tooltip
              content={(p: TooltipContentProps) => <ReadOut {...p} runs={shown} xAxis={xAxis} />}
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
      </div>
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
  return (
    <div className="chart-readout">
      <table>
        <thead>
          <tr>
            <th>Run</th>
            <th>Smoothed</th>
            <th>Value</th>
            <th>Step</th>
            {xAxis !== 'step' && <th>{X_AXIS_LABELS[xAxis]}</th>}
          </tr>
        </thead>
        <tbody>
          {runs.map((run, i) => {
            const keys = rowKeys(i);
            if (row[keys.raw] === undefined) return null;
            return (
              <tr key={run.id}>
                <td>
                  <span className="swatch" style={{ background: run.color }} /> {run.name}
                </td>
                <td className="num">{formatValue(row[keys.smooth])}</td>
                <td className="num">{formatValue(row[keys.raw])}</td>
                <td className="num">{row[keys.step]}</td>
                {xAxis !== 'step' && <td className="num">{formatX(row.x, xAxis)}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
