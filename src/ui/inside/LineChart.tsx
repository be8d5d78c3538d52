/** A small SVG line chart over steps, linear or log y, with an optional reference line: the health charts. */
import { extent, makeScale, type Scale, tickAnchor, tickLabel } from './scale';

/** One named line. */
export interface ChartLine {
  name: string;
  color: string;
  points: readonly { step: number; value: number }[];
}

/** Props: the lines, the y scale, and a horizontal reference (a rule of thumb) to draw. */
export interface LineChartProps {
  title: string;
  lines: readonly ChartLine[];
  log?: boolean;
  /** Fixed y range, e.g. [0, 1] for a fraction; else the lines' (and reference's) extent. */
  yDomain?: [number, number];
  reference?: { value: number; label: string };
}

export const [CHART_W, CHART_H] = [360, 170];
const M = { left: 44, right: 8, top: 8, bottom: 22 };

/** Draws the lines; a non-finite value breaks its line, a lone point is a dot. */
export function LineChart({ title, lines, log = false, yDomain, reference }: LineChartProps) {
  const all = lines.flatMap((l) => l.points);
  const [s0, s1] = extent(all.map((p) => p.step));
  const [y0, y1] =
    yDomain ?? extent([...all.map((p) => p.value), ...(reference ? [reference.value] : [])], log);
  const x = makeScale(s0, s1, M.left, CHART_W - M.right);
  const y = makeScale(y0, y1, CHART_H - M.bottom, M.top, log);
  const drawable = (v: number) => Number.isFinite(v) && (!log || v > 0);
  return (
    <figure className="inside-chart" aria-label={`${title} chart`}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${CHART_W} ${CHART_H}`} role="img" aria-label={title}>
        <YGrid y={y} left={M.left} right={CHART_W - M.right} log={log} />
        <StepTicks x={x} at={CHART_H - 6} />
        {reference && (
          <g className="reference">
            <line x1={M.left} x2={CHART_W - M.right} y1={y(reference.value)} y2={y(reference.value)} />
            <text x={CHART_W - M.right - 2} y={y(reference.value) - 3} textAnchor="end">
              {reference.label}
            </text>
          </g>
        )}
        {lines.map((l) => {
          const runs: string[] = [];
          let open = false;
          for (const p of l.points) {
            if (!drawable(p.value)) {
              open = false;
              continue;
            }
            runs.push(`${open ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`);
            open = true;
          }
          const last = l.points.at(-1);
          return (
            <g key={l.name} className="line">
              <path d={runs.join('')} stroke={l.color} />
              {l.points.length === 1 && last && drawable(last.value) && (
                <circle cx={x(last.step)} cy={y(last.value)} r={3} fill={l.color} />
              )}
            </g>
          );
        })}
      </svg>
      <ul className="inside-legend">
        {lines.map((l) => (
          <li key={l.name}>
            <span className="swatch" style={{ background: l.color }} />
            {l.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Grid lines across the chart, from `left` to `right`, at a y scale's ticks, labelled on the left. */
export function YGrid({
  y,
  left,
  right,
  log = false,
}: {
  y: Scale;
  left: number;
  right: number;
  log?: boolean;
}) {
  return y.ticks.map((t) => (
    <g key={t} className="tick">
      <line x1={left} x2={right} y1={y(t)} y2={y(t)} />
      <text x={left - 4} y={y(t)} dy="0.32em" textAnchor="end">
        {tickLabel(t, log)}
      </text>
    </g>
  ));
}

/** The whole-step ticks of an x scale, labelled along the chart's foot at height `at`. */
export function StepTicks({ x, at }: { x: Scale; at: number }) {
  const steps = x.ticks.filter(Number.isInteger);
  const [from, to] = x.range;
  return steps.map((t) => (
    <text key={t} className="tick" x={x(t)} y={at} textAnchor={tickAnchor(x(t), from, to)}>
      {t}
    </text>
  ));
}
