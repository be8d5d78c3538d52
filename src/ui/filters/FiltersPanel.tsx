/**
 * Inside the shown run's model: the first Conv2d's filters (or an MLP's first Linear rows as
 * images), and each layer's output for one image: a dataset sample, a misclassified one, or the
 * digit drawn on the evaluation pad, which the maps follow as it is drawn. Asked of the worker when
 * the run, its epoch or the image changes, never per training step, one request at a time.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Inspection, LayerOutput, WeightImages } from '../../worker/protocol';
import { DigitImage } from '../data/DigitImage';
import { useKiln } from '../store';
import type { InspectSource } from '../store/inspectSlice';
import { TileGrid } from './TileGrid';
import { vectorTile } from './tiles';
import './filters.css';

/** Dataset samples and misclassified images offered to look at. */
const SAMPLES = 10;
const MISCLASSIFIED = 6;

/** The filters and activations panel for the active run. */
export function FiltersPanel() {
  const id = useId();
  const run = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  const info = useKiln((s) => s.dataset.info);
  const source = useKiln((s) => s.inspectSource);
  const drawn = useKiln((s) => s.drawnDigit);
  const setSource = useKiln((s) => s.setInspectSource);
  const inspect = useKiln((s) => s.inspect);
  const rows = info?.inputShape[1] ?? 28;
  const cols = info?.inputShape[2] ?? 28;
  const lastEpoch = run?.lastEpoch ?? null;
  const samples = useMemo(() => info?.samples.slice(0, SAMPLES) ?? [], [info]);
  const wrong = useMemo(() => lastEpoch?.misclassified.slice(0, MISCLASSIFIED) ?? [], [lastEpoch]);
  const pixels = useMemo(() => imagePixels(source, drawn, samples, wrong), [source, drawn, samples, wrong]);
  const inputShape = run?.model.inputShape ?? [];
  // A table's rows are not images, and an image of another size (another dataset) is no input for this model.
  const imageModel = inputShape.length === 3;
  const fits = pixels?.length === inputShape.reduce((a, b) => a * b, 1);
  const usable =
    run && imageModel && (run.hasCheckpoint || run.state === 'running' || run.state === 'paused')
      ? run
      : null;
  // Weights change once per epoch (and when a run is picked or starts): that and the image are what ask again.
  const version = usable ? `${usable.id}:${lastEpoch?.epoch ?? 0}:${usable.state}` : null;
  const { result, problem } = useInspection(usable?.id ?? null, version, fits ? pixels : null, inspect);

  return (
    <section className="card filters" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Filters and activations</h2>
        {run && <span className="muted user-text">{run.name}</span>}
      </div>
      {!run && <p className="muted">Train a model (or pick a run) to see its filters and feature maps.</p>}
      {run && imageModel && !usable && (
        <p className="muted">This run has no weights yet: its filters show once it trains.</p>
      )}
      {run && !imageModel && (
        <p className="muted">This model takes inputs of shape [{inputShape.join(', ')}], not images.</p>
      )}
      {usable && pixels && !fits && (
        <p className="muted">This image is not the model's input shape [{inputShape.join(', ')}].</p>
      )}
      {problem && <p className="note warn">{problem}</p>}
      {result && (
        <p className="muted legend-text">
          Blue negative, white 0, red positive; each image is scaled to its own largest |value|.
        </p>
      )}
      {result?.weights && <Weights weights={result.weights} />}
      {usable && result && !result.weights && (
        <p className="muted">
          This model has no Conv2d, and its first Linear does not read the whole image: no filters to draw.
        </p>
      )}
      <fieldset className="inspect-picker">
        <legend>Input image: a sample, a misclassified one, or the digit drawn on the pad</legend>
        <PickButton
          selected={source.kind === 'drawn'}
          disabled={!drawn}
          onClick={() => setSource({ kind: 'drawn' })}
          title="The digit drawn on the evaluation pad"
        >
          <DrawnImage pixels={drawn} rows={rows} cols={cols} />
          <span>drawn</span>
        </PickButton>
        {samples.map((s, i) => (
          <PickButton
            // biome-ignore lint/suspicious/noArrayIndexKey: the dataset's fixed sample list, replaced whole.
            key={`s${i}`}
            selected={source.kind === 'sample' && source.index === i}
            onClick={() => setSource({ kind: 'sample', index: i })}
            title={`Sample ${i + 1}, label ${s.label}`}
          >
            <DigitImage
              pixels={s.pixels}
              rows={rows}
              cols={cols}
              size={28}
              label={`Sample, label ${s.label}`}
            />
            <span className="num">{s.label}</span>
          </PickButton>
        ))}
        {wrong.map((m, i) => (
          <PickButton
            // biome-ignore lint/suspicious/noArrayIndexKey: slots by position, replaced each epoch.
            key={`m${i}`}
            selected={source.kind === 'misclassified' && source.index === i}
            onClick={() => setSource({ kind: 'misclassified', index: i })}
            title={`Misclassified: predicted ${m.predicted}, true ${m.label}`}
            wrong
          >
            <DigitImage
              pixels={m.pixels}
              rows={rows}
              cols={cols}
              size={28}
              label={`Misclassified, predicted ${m.predicted}, true ${m.label}`}
            />
            <span className="num">
              {m.predicted}/{m.label}
            </span>
          </PickButton>
        ))}
      </fieldset>
      {result && <FeatureMaps layers={result.layers} />}
    </section>
  );
}

/** The chosen image's [0, 1] pixels, or null when it is not there (nothing drawn yet, no such sample). */
function imagePixels(
  source: InspectSource,
  drawn: Float32Array | null,
  samples: { pixels: Uint8Array }[],
  wrong: { pixels: Uint8Array }[],
): Float32Array | null {
  if (source.kind === 'drawn') return drawn;
  const image = source.kind === 'sample' ? samples[source.index] : wrong[source.index];
  return image ? Float32Array.from(image.pixels, (v) => v / 255) : null;
}

/**
 * The worker's answer for the latest image and weights version: asked at once when idle, else once
 * the request in flight is answered (only the newest is then sent, so a drawing never queues up).
 */
function useInspection(
  runId: string | null,
  version: string | null,
  pixels: Float32Array | null,
  inspect: (id: string, pixels: Float32Array) => Promise<Inspection | null>,
): { result: Inspection | null; problem: string | null } {
  const [result, setResult] = useState<Inspection | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const wanted = useRef<{ runId: string; version: string; pixels: Float32Array } | null>(null);
  const busy = useRef(false);
  useEffect(() => {
    wanted.current = runId && version && pixels ? { runId, version, pixels } : null;
    if (!wanted.current) {
      setResult(null);
      setProblem(null);
      return;
    }
    if (busy.current) return;
    busy.current = true;
    void (async () => {
      let asked = null;
      while (wanted.current && wanted.current !== asked) {
        asked = wanted.current;
        const answer = await inspect(asked.runId, asked.pixels);
        // A run switched meanwhile waits for its own answer rather than showing the old run's.
        if (wanted.current?.runId !== asked.runId) continue;
        setResult(answer);
        setProblem(answer ? null : 'This run has no trained weights yet: train it for an epoch first.');
      }
      busy.current = false;
    })();
  }, [runId, version, pixels, inspect]);
  return { result, problem };
}

function PickButton({
  selected,
  disabled,
  onClick,
  title,
  wrong,
  children,
}: {
  selected: boolean;
  disabled?: boolean;
  onClick: () => void;
  title: string;
  wrong?: boolean;
  children: React.ReactNode;
}) {
  return (
    <button
      type="button"
      className={wrong ? 'inspect-pick wrong' : 'inspect-pick'}
      aria-pressed={selected}
      disabled={disabled}
      onClick={onClick}
      title={title}
    >
      {children}
    </button>
  );
}

/** The drawn digit's thumbnail (black until something is drawn). */
function DrawnImage({ pixels, rows, cols }: { pixels: Float32Array | null; rows: number; cols: number }) {
  const bytes = Uint8Array.from(pixels ?? new Float32Array(rows * cols), (v) => Math.round(v * 255));
  return <DigitImage pixels={bytes} rows={rows} cols={cols} size={28} label="The drawn digit" />;
}

/** The first layer's weights as images, with their parameter's name and shape. */
function Weights({ weights }: { weights: WeightImages }) {
  const [count, channels, h, w] = weights.shape;
  const conv = weights.weightShape.length === 4;
  const shown = count < weights.weightShape[0] ? `, the first ${count} shown` : '';
  const what = conv
    ? `${weights.weightShape[0]} filters of ${channels}×${h}×${w}${shown}`
    : `each of the ${weights.weightShape[0]} rows as a ${h}×${w} image${shown}`;
  return (
    <figure className="weights">
      <figcaption>
        <h3>
          <code>{weights.name}</code> <span className="num muted">[{weights.weightShape.join(', ')}]</span>
        </h3>
        <p className="muted legend-text">{what}</p>
      </figcaption>
      <TileGrid
        values={weights.values}
        count={count * channels}
        tileH={h}
        tileW={w}
        maxWidth={conv ? 320 : 520}
        label={`${weights.name}: ${what}`}
      />
    </figure>
  );
}

/** Each layer's output for the image, labelled with the layer's name, class and shape. */
function FeatureMaps({ layers }: { layers: LayerOutput[] }) {
  return (
    <div className="feature-maps">
      {layers.map((l, i) => {
        const maps = l.shape.length === 3;
        const tile = maps ? { tileH: l.shape[1], tileW: l.shape[2] } : vectorTile(l.values.length);
        const count = maps ? l.values.length / (l.shape[1] * l.shape[2]) : 1;
        const shown = maps && count < l.shape[0] ? ` · first ${count} channels` : '';
        const label = `${l.name} (${l.type}) output [${l.shape.join(', ')}]${shown}`;
        // Flatten and eval-mode Dropout pass the values on unchanged: a second drawing would only repeat them.
        const same = i > 0 && SAME_VALUES[l.type];
        const last = i === layers.length - 1 && !maps;
        return (
          <figure key={l.name} className="feature-map">
            <figcaption>
              <code>{l.name}</code> <span className="muted">{l.type}</span>{' '}
              <span className="num muted">
                [{l.shape.join(', ')}]{shown}
              </span>
              {same && (
                <span className="muted"> · {`same values as layer ${layers[i - 1].name}, ${same}`}</span>
              )}
              {last && <span className="muted"> · largest at index {argmax(l.values)}</span>}
            </figcaption>
            {!same && (
              <TileGrid values={l.values} count={count} {...tile} maxWidth={maps ? 520 : 320} label={label} />
            )}
          </figure>
        );
      })}
    </div>
  );
}

/** Layers whose output is their input's values, and how they pass them on. */
const SAME_VALUES: Record<string, string> = {
  Flatten: 'flattened',
  Dropout: 'as Dropout is off in eval mode',
};

/** The index of the largest value (the predicted class, for the last layer's scores). */
function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
