/**
 * The learning-rate finder beside the form's learning rate: the Find LR button, and once asked, the
 * range test's curve (loss against lr on a log axis, the raw batch losses faint behind the smoothed
 * loss), the steepest descent and minimum/10 marked and labelled, and "Use lr" to put the
 * suggestion in the form. The worker runs the test; a loss blowing up at its end is how it is meant
 * to finish, so it is said as such, not as an error.
 */

import { choicesOf, LR_FIND_DEFAULTS, type LrFindPoint, roundLr, SETTINGS } from 'kiln/config';
import { useMemo } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceDot,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  type TooltipContentProps,
  XAxis,
  YAxis,
} from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import type { OptimizerName } from '../../worker/protocol';
import { yAxisRange } from '../charts/axes';
import { formatTick, formatValue } from '../charts/format';
import { logTicks } from '../charts/ticks';
import { useKiln } from '../store';
import type { LrFindRun } from '../store/lrFindSlice';

/** The curve's colour, and the two marks' (the suggestion's is the accent). */
const CURVE = '#2f6fd0';
const STEEPEST = '#2e9e44';
const SUGGESTED = 'var(--accent)';

const MARGIN = { top: 22, right: 20, bottom: 4, left: 0 };
const { startLr, endLr, numIt } = LR_FIND_DEFAULTS;
const X_TICKS = logTicks(startLr, endLr, 5);

/** The Find LR button, in the form's grid beside the learning rate. */
export function FindLrButton({ disabledWhy }: { disabledWhy: string | null }) {
  const findLr = useKiln((s) => s.findLr);
  const running = useKiln((s) => s.lrFind?.status === 'running');
  const why = running ? 'The LR finder is running' : disabledWhy;
  return (
    <div className="field lr-find-field">
      <button
        type="button"
        className="find-lr"
        disabled={why !== null}
        onClick={findLr}
        title={
          why ??
          `Train a copy of the model for up to ${numIt} steps while the lr grows from ${startLr} to ${endLr}, and suggest one (the LR range test)`
        }
      >
        Find LR
      </button>
    </div>
  );
}

/** The finder's chart and actions, while a test runs and after it; nothing before the first. */
export function LrFinderPanel() {
  const f = useKiln((s) => s.lrFind);
  if (!f) return null;
  return <LrFinderView f={f} />;
}

function LrFinderView({ f }: { f: LrFindRun }) {
  const formLr = useKiln((s) => s.config.lr);
  const formOptimizer = useKiln((s) => s.config.optimizer);
  const formBatch = useKiln((s) => s.config.batchSize);
  const { stopLrFind, applyFoundLr, closeLrFind } = useKiln(
    useShallow((s) => ({
      stopLrFind: s.stopLrFind,
      applyFoundLr: s.applyFoundLr,
      closeLrFind: s.closeLrFind,
    })),
  );
  const r = f.result;
  const suggested = r?.suggestedLr ?? null;
  const last = f.points.at(-1);
  const changed =
    f.optimizer !== formOptimizer || f.batchSize !== formBatch
      ? `Found for ${name(f.optimizer)} at batch size ${f.batchSize}; the form now says ${name(formOptimizer)} at ${formBatch}: find again for those.`
      : null;
  return (
    <section className="lr-finder" aria-label="Learning-rate finder">
      <header>
        <h3>Learning-rate finder</h3>
        <span className="muted">
          {f.model} with {name(f.optimizer)}, batch size {f.batchSize}
        </span>
        <span className="lr-finder-actions">
          {f.status === 'running' && (
            <button type="button" className="danger" disabled={f.stopping} onClick={stopLrFind}>
              Stop
            </button>
          )}
          {suggested !== null && (
            <button
              type="button"
              className="primary"
              onClick={applyFoundLr}
              disabled={formLr === roundLr(suggested)}
              title="Put the suggested learning rate in the form"
            >
              {formLr === roundLr(suggested)
                ? `lr ${roundLr(suggested)} is in the form`
                : `Use lr ${roundLr(suggested)}`}
            </button>
          )}
          <button type="button" onClick={closeLrFind}>
            Close
          </button>
        </span>
      </header>
      <p className="lr-finder-status" role="status">
        {f.status === 'running'
          ? last
            ? `Step ${last.step} of up to ${numIt}: lr ${formatTick(roundLr(last.lr))}, loss ${formatValue(last.smoothed)}${f.stopping ? ' (stopping…)' : ''}`
            : 'Starting: the first step compiles the kernels…'
          : f.status === 'failed'
            ? null
            : endText(f)}
        {f.status === 'failed' && (
          <span className="field-problem">The LR finder could not run: {f.error}</span>
        )}
      </p>
      <LrChart f={f} />
      {r && (
        <ul className="lr-finder-marks">
          {r.steepest && (
            <li>
              <span className="swatch" style={{ background: STEEPEST }} /> Steepest descent: lr{' '}
              <span className="num">{formatTick(roundLr(r.steepest.lr))}</span>
            </li>
          )}
          {r.minimum && suggested !== null && (
            <li>
              <span className="swatch" style={{ background: SUGGESTED }} /> <b>Suggested</b>: minimum/10, lr{' '}
              <span className="num">{formatTick(roundLr(suggested))}</span> (the smoothed loss is lowest at{' '}
              <span className="num">{formatTick(roundLr(r.minimum.lr))}</span>)
            </li>
          )}
          {suggested === null && (
            <li>No suggestion: the loss diverged within the first steps. Check the model and the data.</li>
          )}
        </ul>
      )}
      {changed && <p className="muted">{changed}</p>}
      <p className="muted lr-finder-note">
        A copy of the model trains for up to {numIt} steps while the lr grows exponentially from {startLr} to{' '}
        {endLr} (Smith 2017; fastai's lr_find): the thick line is the loss smoothed over about 50 steps, the
        faint one each batch's. The test stops once the smoothed loss passes 4x its minimum; the model's
        weights are not touched.
      </p>
    </section>
  );
}

/** The optimizer as the form's menu names it. */
function name(o: OptimizerName): string {
  return choicesOf(SETTINGS.optimizer).find(([k]) => k === o)?.[1] ?? o;
}

/** How a finished test ended, in words. */
function endText(f: LrFindRun): string {
  const last = f.points.at(-1);
  const at = last ? formatTick(roundLr(last.lr)) : '?';
  switch (f.result?.end) {
    case 'diverged':
    case 'non-finite':
      return `Done in ${f.points.length} steps: the loss blew up at lr ${at}, as it should at the end of the test.`;
    case 'stopped':
      return `Stopped at step ${f.points.length} (lr ${at}).`;
    default:
      return `Done: all ${f.points.length} steps ran, up to lr ${at}.`;
  }
}

/** The curve: smoothed loss against lr (log), raw losses faint, the marks as labelled lines. */
function LrChart({ f }: { f: LrFindRun }) {
  const r = f.result;
  const points = f.points;
  // The blow-up at the end would flatten the rest: the y range stops at 1.5x the first loss. It
  // holds the batch losses too: the smoothed loss lags them (an average over ~50 steps).
  const yAxis = useMemo(() => {
    if (!points.length) return null;
    const cap = 1.5 * points[0].smoothed;
    const run = {
      raw: points.map((p) => p.loss).filter((v) => v <= cap),
      smooth: points.map((p) => p.smoothed).filter((v) => v <= cap),
      nonFinite: false,
      diverged: false,
    };
    return yAxisRange([run], false, false);
  }, [points]);
  return (
    <div className="lr-finder-plot">
      {points.length === 0 && <p className="chart-empty muted">No points yet.</p>}
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={MARGIN}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="lr"
            type="number"
            scale="log"
            domain={[startLr, endLr]}
            allowDataOverflow
            ticks={X_TICKS}
            interval={0}
            tickFormatter={formatTick}
            stroke="var(--muted)"
            fontSize={11}
            label={{ value: 'learning rate (log)', position: 'insideBottomRight', offset: -2, fontSize: 11 }}
            height={34}
          />
          <YAxis
            type="number"
            domain={yAxis ? yAxis.domain : ['auto', 'auto']}
            ticks={yAxis?.ticks}
            allowDataOverflow
            interval={0}
            tickFormatter={formatTick}
            stroke="var(--muted)"
            fontSize={11}
            width={52}
            label={{ value: 'loss', angle: -90, position: 'insideLeft', offset: 14, fontSize: 11 }}
          />
          <Tooltip
            content={(p: TooltipContentProps) => <ReadOut {...p} />}
            allowEscapeViewBox={{ x: false, y: false }}
            isAnimationActive={false}
          />
          <Line
            dataKey="loss"
            name="loss"
            stroke={CURVE}
            strokeOpacity={0.25}
            dot={false}
            activeDot={false}
            isAnimationActive={false}
          />
          <Line
            dataKey="smoothed"
            name="smoothed loss"
            stroke={CURVE}
            strokeWidth={2}
            dot={false}
            activeDot={{ r: 3 }}
            isAnimationActive={false}
          />
          {r?.steepest && (
            <ReferenceLine
              x={r.steepest.lr}
              stroke={STEEPEST}
              strokeDasharray="4 3"
              label={{
                value: `steepest ${formatTick(roundLr(r.steepest.lr))}`,
                position: 'insideTopLeft',
                fill: STEEPEST,
                fontSize: 11,
              }}
            />
          )}
          {r?.minimumTenth && (
            <ReferenceLine
              x={r.minimumTenth.lr}
              stroke={SUGGESTED}
              strokeWidth={2}
              label={{
                value: `min/10 ${formatTick(roundLr(r.minimumTenth.lr))}`,
                position: 'top',
                fill: SUGGESTED,
                fontSize: 11,
              }}
            />
          )}
          {r?.minimum && (
            <ReferenceDot
              x={r.minimum.lr}
              y={r.minimum.loss}
              r={4}
              fill={SUGGESTED}
              stroke="var(--surface)"
              label={{ value: 'min', position: 'top', fill: SUGGESTED, fontSize: 11 }}
            />
          )}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function ReadOut({ active, payload }: TooltipContentProps) {
  const p = payload?.[0]?.payload as LrFindPoint | undefined;
  if (!active || !p) return null;
  return (
    <div className="chart-readout">
      <table>
        <tbody>
          <tr>
            <th>lr</th>
            <td className="num">{formatValue(p.lr)}</td>
          </tr>
          <tr>
            <th>smoothed loss</th>
            <td className="num">{formatValue(p.smoothed)}</td>
          </tr>
          <tr>
            <th>batch loss</th>
            <td className="num">{formatValue(p.loss)}</td>
          </tr>
          <tr>
            <th>step</th>
            <td className="num">{p.step}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}
