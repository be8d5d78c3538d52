/**
 * The hyperparameter view (TensorBoard's HParams, W&B's parallel coordinates): which of the runs'
 * settings vary, and how the final metric follows them. Brushing an axis filters the runs the
 * charts and the runs table show; the brushes are listed under the chart, each with Clear.
 */
import { useId, useMemo } from 'react';
import { runSearch } from '../charts/runFilter';
import { useKiln } from '../store';
import type { HparamsView } from '../store/hparamsSlice';
import type { RunRecord } from '../store/runsSlice';
import { brushText, METRICS, metricOf, RAMP_GRADIENT, shownRuns, varyingHparams } from './hparams';
import { ParallelCoordinates } from './ParallelCoordinates';
import './hparams.css';

/** Props: the runs the run filter finds (before brushing), the view's settings and their setter. */
export interface HparamsPanelProps {
  runs: readonly RunRecord[];
  view: HparamsView;
  onView: (change: Partial<HparamsView>) => void;
}

/** The panel's body: the metric picker, the chart, its colour key and the brushes. */
export function HparamsBody({ runs, view, onView }: HparamsPanelProps) {
  const id = useId();
  const metric = metricOf(view.metric);
  const varying = useMemo(() => varyingHparams(runs as RunRecord[]), [runs]);
  const kept = shownRuns(runs, '', view.brushes).length;
  const values = runs.map(metric.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const [worst, best] = metric.higherIsBetter
    ? [Math.min(...values), Math.max(...values)]
    : [Math.max(...values), Math.min(...values)];
  if (runs.length < 2)
    return (
      <p className="empty-state muted">
        With two runs or more (different learning rates, seeds, optimizers…), each setting that varies among
        them gets an axis here, beside their final {metric.label.toLowerCase()}.
      </p>
    );
  return (
    <>
      <div className="pcoords-controls">
        <label htmlFor={`${id}-metric`}>Metric</label>
        <select id={`${id}-metric`} value={metric.key} onChange={(e) => onView({ metric: e.target.value })}>
          {METRICS.map((m) => (
            <option key={m.key} value={m.key}>
              {m.label}
            </option>
          ))}
        </select>
        <span className="muted" role="status">
          {kept === runs.length ? `${runs.length} runs` : `${kept} of ${runs.length} runs in the brushes`}
          {varying.length === 0 && ' · every setting is the same in all of them'}
        </span>
      </div>
      <ParallelCoordinates
        runs={runs}
        hparams={varying}
        metric={metric}
        brushes={view.brushes}
        onBrushes={(brushes) => onView({ brushes })}
      />
      <div className="pcoords-key">
        {values.length > 0 && (
          <span className="pcoords-ramp">
            <span className="num">{metric.format(worst)}</span>
            <span className="pcoords-ramp-bar" style={{ background: RAMP_GRADIENT }} aria-hidden="true" />
            <span className="num">{metric.format(best)}</span>
            <span className="muted">
              {' '}
              {metric.label} (worst to best)
              {values.length < runs.length && '; dashed: no value yet'}
            </span>
          </span>
        )}
        {view.brushes.length > 0 && (
          <ul className="pcoords-brushes" aria-label="Brushes">
            {view.brushes.map((b) => (
              <li key={b.key}>
                {brushText(b)}{' '}
                <button
                  type="button"
                  className="linkish"
                  onClick={() => onView({ brushes: view.brushes.filter((x) => x.key !== b.key) })}
                >
                  Clear
                </button>
              </li>
            ))}
            {view.brushes.length > 1 && (
              <li>
                <button type="button" className="linkish" onClick={() => onView({ brushes: [] })}>
                  Clear all
                </button>
              </li>
            )}
          </ul>
        )}
      </div>
    </>
  );
}

/** The page's hyperparameter panel: its runs are those the run filter finds. */
export function HparamsPanel() {
  const runs = useKiln((s) => s.runs);
  const filter = useKiln((s) => s.runFilter);
  const view = useKiln((s) => s.hparams);
  const setView = useKiln((s) => s.setHparams);
  const found = useMemo(() => runs.filter(runSearch(filter)), [runs, filter]);
  return (
    <section className="card hparams" aria-labelledby="hparams-title">
      <h2 id="hparams-title">Hyperparameters</h2>
      <HparamsBody runs={found} view={view} onView={setView} />
    </section>
  );
}
