/**
 * Gradient health of the shown run, per layer: gradient norms and update-to-weight ratios per step
 * on log axes (the 1e-3 rule of thumb drawn), the dead fraction of each ReLU, and a plain warning
 * naming any layer whose gradients vanish or explode.
 */
import { useMemo } from 'react';
import { useKiln } from '../store';
import { HEALTH_TAGS, HEALTHY_UPDATE_RATIO, healthNames, healthWarnings } from './gradientHealth';
import { type ChartLine, LineChart } from './LineChart';
import './inside.css';

/** Line colours, one per parameter or module, in order (distinct in both themes). */
export const LINE_COLORS = [
  '#0077bb',
  '#ee7733',
  '#009988',
  '#cc3311',
  '#33bbee',
  '#ee3377',
  '#999933',
  '#aa4499',
];

/** The lines of every name logged under a health tag prefix. */
function linesOf(
  series: Record<string, readonly { step: number; value: number }[]>,
  prefix: string,
  only?: (name: string) => boolean,
): ChartLine[] {
  return healthNames(series, prefix)
    .filter((n) => only?.(n) ?? true)
    .map((name, i) => ({ name, color: LINE_COLORS[i % LINE_COLORS.length], points: series[prefix + name] }));
}

/** The panel. */
export function GradientHealthPanel() {
  const run = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  const series = run?.series;
  const view = useMemo(
    () =>
      series && {
        warnings: healthWarnings(series),
        norms: linesOf(series, HEALTH_TAGS.gradNorm),
        // Weights only: a bias that starts at 0 has no meaningful ratio at first.
        ratios: linesOf(series, HEALTH_TAGS.updateRatio, (n) => n.endsWith('.weight')),
        dead: linesOf(series, HEALTH_TAGS.deadRelu),
      },
    [series],
  );
  return (
    <section className="card inside" aria-labelledby="health-title">
      <h2 id="health-title">Gradient health</h2>
      {!view?.norms.length ? (
        <p className="empty-state muted">
          While a run trains, each layer's gradient norm, the size of each step's update against the weights,
          and the share of dead ReLU units appear here, with a warning if gradients vanish or explode.
        </p>
      ) : (
        <>
          {view.warnings.length > 0 ? (
            <ul className="health-warnings" aria-label="Gradient warnings">
              {view.warnings.map((w) => (
                <li key={`${w.kind}-${w.layer}`} className={`health-warning ${w.kind}`} role="alert">
                  {w.message}
                </li>
              ))}
            </ul>
          ) : (
            <p className="health-ok">No layer's gradients look vanishing or exploding.</p>
          )}
          <div className="inside-grid">
            <LineChart title="Gradient norm" lines={view.norms} log />
            <LineChart
              title="Update / weight ratio"
              lines={view.ratios}
              log
              reference={{ value: HEALTHY_UPDATE_RATIO, label: '1e-3 rule of thumb' }}
            />
            {view.dead.length > 0 && (
              <LineChart title="Dead ReLU units (fraction)" lines={view.dead} yDomain={[0, 1]} />
            )}
          </div>
        </>
      )}
    </section>
  );
}
