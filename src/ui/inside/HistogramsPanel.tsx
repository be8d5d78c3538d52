/**
 * The shown run's histograms for one parameter (or its gradient), as TensorBoard's two tabs draw
 * them: Histograms, stacked offset histograms over steps with the newest in front, and
 * Distributions, percentile bands over steps.
 */
import { useMemo } from 'react';
import { useKiln } from '../store';
import type { RunRecord } from '../store/runsSlice';
import {
  DISTRIBUTION_PERCENTILES,
  type HistogramPoint,
  MAX_KEPT,
  offsetSlices,
  percentiles,
  valueRange,
} from './histogramMath';
import { HISTOGRAM_BUDGET_TEXT, type NotKept } from './keptHistograms';
import { StepTicks, YGrid } from './LineChart';
import { extent, makeScale, tickAnchor, tickLabel } from './scale';
import './inside.css';

const [W, H] = [360, 220];
const M = { left: 8, right: 44, top: 8, bottom: 22 };
/** Height of one slice's tallest bin: the stack overlaps like TensorBoard's offset view. */
const SLICE_H = 60;

/** The panel: the parameter picker, then both views of it. */
export function HistogramsPanel() {
  const run = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  const histograms = useKiln((s) => (run ? s.histograms[run.id] : undefined));
  const notKept = useKiln((s) => (run ? s.histogramsNotKept[run.id] : undefined));
  const chosen = useKiln((s) => s.histogramTag);
  const setTag = useKiln((s) => s.setHistogramTag);
  const tags = Object.keys(histograms ?? {});
  const tag = chosen !== null && tags.includes(chosen) ? chosen : tags[0];
  const points = tag ? histograms?.[tag] : undefined;
  return (
    <section className="card inside" aria-labelledby="histograms-title">
      <h2 id="histograms-title">Histograms</h2>
      {!points?.length ? (
        <p className="empty-state muted" role="status">
          {run && run.step > 0 ? (
            notKeptText(run, notKept)
          ) : (
            <>
              While a run trains, every few steps each parameter's weights and gradient are binned on the GPU;
              they appear here as TensorBoard's Histograms and Distributions draw them.
            </>
          )}
        </p>
      ) : (
        <>
          <label className="inside-pick">
            Parameter{' '}
            <select value={tag} onChange={(e) => setTag(e.target.value)}>
              {tags.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <div className="inside-grid">
            <OffsetHistograms tag={tag} points={points} />
            <Distributions tag={tag} points={points} />
          </div>
          <p className="muted inside-note">
            The last {MAX_KEPT} histograms per tag are kept in this browser with the run, within{' '}
            {HISTOGRAM_BUDGET_TEXT} for all runs' histograms (the oldest runs' go first).
          </p>
        </>
      )}
    </section>
  );
}

/** Why a run that trained has no histograms to show: storage did not keep them (or never had them). */
function notKeptText(run: RunRecord, why: NotKept | undefined): string {
  const kept = `This browser keeps the last histograms of runs within ${HISTOGRAM_BUDGET_TEXT} in all`;
  if (why === 'evicted')
    return `${run.name}'s histograms were not kept: ${kept}, and newer runs' took their place. Its charts, gradient health included, are kept.`;
  if (why === 'too-large')
    return `${run.name}'s histograms were not kept: ${kept}, and this run's alone are larger. Its charts, gradient health included, are kept.`;
  return `${run.name}'s histograms were not kept: it trained before this page stored them, or came from a checkpoint file, which carries none. Its charts, gradient health included, are kept.`;
}

/** Props of both views. */
interface ViewProps {
  tag: string;
  points: readonly HistogramPoint[];
}

/** Stacked offset histograms, the oldest at the back (lighter), the newest in front. */
function OffsetHistograms({ tag, points }: ViewProps) {
  const slices = useMemo(
    () => offsetSlices(points, W - M.left - M.right, H - M.top - M.bottom, SLICE_H),
    [points],
  );
  const [lo, hi] = valueRange(points);
  const x = makeScale(lo, hi, M.left, W - M.right);
  const labelled = new Set([slices[0]?.step, slices.at(-1)?.step]);
  return (
    <figure className="inside-chart" aria-label={`Histograms of ${tag}`}>
      <figcaption>Histograms · {tag}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Histograms of ${tag} over steps`}>
        <g transform={`translate(${M.left},${M.top})`}>
          {slices.map((s, i) => (
            <g key={s.step}>
              <path
                className="hist-slice"
                d={s.path}
                style={{ opacity: 0.35 + (0.65 * (i + 1)) / slices.length }}
              />
              {labelled.has(s.step) && (
                <text className="tick" x={W - M.left - M.right + 4} y={s.baseline} dy="-0.2em">
                  {s.step}
                </text>
              )}
            </g>
          ))}
        </g>
        {x.ticks.map((t) => (
          <text
            key={t}
            className="tick"
            x={x(t)}
            y={H - 6}
            textAnchor={tickAnchor(x(t), M.left, W - M.right)}
          >
            {tickLabel(t, false)}
          </text>
        ))}
      </svg>
    </figure>
  );
}

/**
 * Percentile bands over steps: the outermost from the minimum to the maximum, then ±1.5, ±1 and
 * ±0.5 sigma's worth of a normal, each darker, and the median as a line.
 */
function Distributions({ tag, points }: ViewProps) {
  const rows = useMemo(
    () => points.map((p) => ({ step: p.step, q: percentiles(p, DISTRIBUTION_PERCENTILES) })),
    [points],
  );
  const [s0, s1] = extent(rows.map((r) => r.step));
  const [v0, v1] = extent(rows.flatMap((r) => [r.q[0], r.q[8]]));
  const x = makeScale(s0, s1, 44, W - 8);
  const y = makeScale(v0, v1, H - 22, 8);
  const ok = rows.filter((r) => r.q.every(Number.isFinite));
  const band = (i: number) => {
    const upper = ok.map((r) => `${x(r.step).toFixed(1)},${y(r.q[8 - i]).toFixed(1)}`);
    const lower = ok.map((r) => `${x(r.step).toFixed(1)},${y(r.q[i]).toFixed(1)}`).reverse();
    return `M${[...upper, ...lower].join('L')}Z`;
  };
  const median = `M${ok.map((r) => `${x(r.step).toFixed(1)},${y(r.q[4]).toFixed(1)}`).join('L')}`;
  return (
    <figure className="inside-chart" aria-label={`Distributions of ${tag}`}>
      <figcaption>Distributions · {tag}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Percentiles of ${tag} over steps`}>
        <YGrid y={y} left={44} right={W - 8} />
        <StepTicks x={x} at={H - 6} />
        {[0, 1, 2, 3].map((i) => (
          <path key={i} className="dist-band" d={band(i)} />
        ))}
        <path className="dist-median" d={median} />
        {ok.length === 1 && <circle cx={x(ok[0].step)} cy={y(ok[0].q[4])} r={3} className="dist-dot" />}
      </svg>
    </figure>
  );
}
