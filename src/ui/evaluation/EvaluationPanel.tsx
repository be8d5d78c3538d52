/**
 * What the shown run learned, after each epoch: validation accuracy and loss, the confusion matrix,
 * per-class accuracy, the images it got wrong, and a pad to draw a digit for it to classify.
 */
import { memo, useDeferredValue, useId, useMemo } from 'react';
import { DigitImage } from '../data/DigitImage';
import { classLabel, percent } from '../format';
import { RunError } from '../runs/RunError';
import { useKiln } from '../store';
import type { EpochReport } from '../store/runsSlice';
import { ConfusionMatrix } from './ConfusionMatrix';
import { DrawingPad } from './DrawingPad';
import { PerClassAccuracy } from './PerClassAccuracy';

/** The evaluation panel for the active run. */
export function EvaluationPanel() {
  const id = useId();
  const run = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  const info = useKiln((s) => s.dataset.info);
  // The report changes once per epoch; its tables and images render in a deferred, sliced pass.
  const ev = useDeferredValue(run?.lastEpoch ?? null);
  // A table's rows have no picture: no misclassified images and no drawing pad for them.
  const images = info === null || info.inputShape.length === 3;
  const rows = info?.inputShape[1] ?? 28;
  const cols = info?.inputShape[2] ?? 28;
  const numClasses = ev?.perClassAcc.length ?? info?.numClasses ?? 10;
  // The run's own names (its record keeps them), whatever data are loaded now; with no run, the data's.
  const names = run ? run.classes : info?.classes;
  const blank = useMemo(() => blankReport(numClasses, rows * cols), [numClasses, rows, cols]);
  return (
    <section className="card evaluation" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Evaluation</h2>
        {run && <span className="muted user-text">{run.name}</span>}
      </div>
      {run?.error && <RunError error={run.error} lr={run.config.lr} />}
      {!ev && (
        <p className="muted eval-empty">
          {run
            ? 'The validation pass runs at the end of each epoch; its results appear here.'
            : 'Train a model to evaluate it.'}
        </p>
      )}
      {/* Mounted empty from the start, so the first epoch's results update it rather than build it
          mid-training (a long main-thread task) and nothing below jumps. */}
      <EpochResults ev={ev ?? blank} rows={rows} cols={cols} images={images} names={names} />
      {images && (
        <>
          <h3>Draw a digit</h3>
          <DrawingPad
            runId={
              run && (run.hasCheckpoint || run.state === 'running' || run.state === 'paused') ? run.id : null
            }
            numClasses={numClasses}
          />
        </>
      )}
    </section>
  );
}

/** Slots of the misclassified grid (the worker sends up to this many). */
const MISCLASSIFIED_SLOTS = 32;

/** The report shown before the first evaluation: zeros, and blank image slots. */
function blankReport(numClasses: number, pixels: number): EpochReport {
  return {
    epoch: 0,
    valLoss: Number.NaN,
    valAcc: Number.NaN,
    perClassAcc: new Array(numClasses).fill(0),
    confusion: Array.from({ length: numClasses }, () => new Array(numClasses).fill(0)),
    misclassified: Array.from({ length: MISCLASSIFIED_SLOTS }, () => ({
      pixels: new Uint8Array(pixels),
      predicted: -1,
      label: -1,
    })),
  };
}

/** One epoch's validation results; memoised, so metrics arriving mid-epoch do not redraw it. */
const EpochResults = memo(function EpochResults({
  ev,
  rows,
  cols,
  images,
  names,
}: {
  ev: EpochReport;
  rows: number;
  cols: number;
  images: boolean;
  names?: string[];
}) {
  return (
    <>
      <div className="headline" aria-live="polite" hidden={ev.epoch === 0}>
        <p className="val-acc">Validation accuracy {percent(ev.valAcc)}</p>
        <p className="val-loss muted">
          Validation loss <span className="num">{ev.valLoss.toFixed(4)}</span> · after epoch {ev.epoch}
        </p>
      </div>
      <div className="eval-grid">
        <div>
          <h3>Confusion matrix</h3>
          <ConfusionMatrix counts={ev.confusion} names={names} />
        </div>
        <div>
          <h3>Per-class accuracy (%)</h3>
          <PerClassAccuracy accuracy={ev.perClassAcc} names={names} />
          {images && (
            <>
              <h3>Misclassified ({ev.epoch === 0 ? 'none yet' : `${ev.misclassified.length} shown`})</h3>
              <div className="misclassified">
                {ev.misclassified.map((m, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: slots by position, so each epoch redraws the same canvases.
                  <figure key={i} className="sample wrong">
                    <DigitImage
                      pixels={m.pixels}
                      rows={rows}
                      cols={cols}
                      size={44}
                      label={
                        m.label < 0
                          ? 'Not evaluated yet'
                          : `Predicted ${classLabel(m.predicted, names)}, true ${classLabel(m.label, names)}`
                      }
                    />
                    <figcaption className="num">
                      <span className="pred">{m.label < 0 ? '–' : classLabel(m.predicted, names)}</span>
                      <span className="muted"> / {m.label < 0 ? '–' : classLabel(m.label, names)}</span>
                    </figcaption>
                  </figure>
                ))}
              </div>
              <p className="muted legend-text">Each image shows predicted / true label.</p>
            </>
          )}
        </div>
      </div>
    </>
  );
});
