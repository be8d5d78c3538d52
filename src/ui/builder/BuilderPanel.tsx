/**
 * The model builder: start from a preset, edit the layer stack, and see every layer's output shape,
 * parameter count and errors live, with the total size and training memory of the model.
 */
import { useId, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { inferShapes, LAYER_TYPES, type LayerSpec, layerName, type ModelSpec, PRESETS } from '../../nn/spec';
import { formatBytes } from '../gpuInfo';
import { useKiln, useTrainableSpec } from '../store';
import { LayerRow } from './LayerRow';
import { estimateMemory } from './memory';

/** The builder panel, reading and editing the store's spec. */
export function BuilderPanel() {
  const id = useId();
  const { spec, error } = useTrainableSpec();
  const { presetKey, edited, loadPreset, addLayer, removeLayer, moveLayer, updateLayer } = useKiln(
    useShallow((s) => ({
      presetKey: s.presetKey,
      edited: s.edited,
      loadPreset: s.loadPreset,
      addLayer: s.addLayer,
      removeLayer: s.removeLayer,
      moveLayer: s.moveLayer,
      updateLayer: s.updateLayer,
    })),
  );
  const [newType, setNewType] = useState<LayerSpec['type']>('Linear');
  const infos = useMemo(() => inferShapes(spec), [spec]);
  const firstError = infos.findIndex((x) => x.error);

  // Keep keyboard focus on the layer that moved, so repeated presses keep moving the same layer.
  const move = (index: number, delta: -1 | 1) => {
    moveLayer(index, delta);
    requestAnimationFrame(() => {
      const to = index + delta;
      const same = document.querySelector<HTMLButtonElement>(`[data-move="${to}:${delta}"]`);
      const other = document.querySelector<HTMLButtonElement>(`[data-move="${to}:${-delta}"]`);
      (same && !same.disabled ? same : other)?.focus();
    });
  };

  return (
    <section className="card builder" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Model</h2>
      <div className="builder-top">
        <div className="field">
          <label htmlFor={`${id}-preset`}>Preset</label>
          <select id={`${id}-preset`} value={presetKey} onChange={(e) => loadPreset(e.target.value)}>
            {Object.entries(PRESETS).map(([key, p]) => (
              <option key={key} value={key}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        {edited && (
          <button
            type="button"
            onClick={() => loadPreset(presetKey)}
            title="Discard edits and reload the preset"
          >
            Reset
          </button>
        )}
        <span className="muted input-shape">
          input [{spec.inputShape.join(', ')}]{edited && ' · edited'}
        </span>
      </div>
      <ol className="layer-stack">
        {spec.layers.map((layer, i) => (
          <LayerRow
            // Index keys: a layer has no identity beyond its slot, and moves swap contents between slots.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            key={i}
            index={i}
            count={spec.layers.length}
            layer={layer}
            info={infos[i]}
            unchecked={firstError >= 0 && i > firstError}
            onChange={(l) => updateLayer(i, l)}
            onRemove={() => removeLayer(i)}
            onMove={(d) => move(i, d)}
          />
        ))}
      </ol>
      <div className="add-layer">
        <div className="field">
          <label htmlFor={`${id}-type`}>Layer type</label>
          <select
            id={`${id}-type`}
            value={newType}
            onChange={(e) => setNewType(e.target.value as LayerSpec['type'])}
          >
            {LAYER_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <button type="button" onClick={() => addLayer(newType)}>
          Add layer
        </button>
      </div>
      <ModelSummary spec={spec} infos={infos} error={error} />
    </section>
  );
}

function ModelSummary({
  spec,
  infos,
  error,
}: {
  spec: ModelSpec;
  infos: ReturnType<typeof inferShapes>;
  error: string | null;
}) {
  const params = infos.reduce((s, x) => s + x.params, 0);
  const mem = estimateMemory(infos);
  const out = infos.at(-1)?.outShape;
  const invalid = infos.findIndex((x) => x.error);
  const name = (i: number) => layerName(spec.layers[i], i);
  return (
    <div className="model-summary">
      {invalid >= 0 && (
        <p className="muted partial-totals">
          {invalid === 0
            ? `No totals yet: the first layer, ${name(0)}, is invalid.`
            : `Totals of the layers up to ${name(invalid - 1)}; ${name(invalid)} is invalid.`}
        </p>
      )}
      <dl className="kv">
        <div>
          <dt>Parameters</dt>
          <dd className="num">{params.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>Training memory</dt>
          <dd className="num">
            {formatBytes(mem.total)}{' '}
            <span className="muted">
              = weights {formatBytes(mem.weights)} + gradients {formatBytes(mem.gradients)} + Adam{' '}
              {formatBytes(mem.adamState)}
              {mem.buffers > 0 && ` + BatchNorm stats ${formatBytes(mem.buffers)}`} (float32)
            </span>
          </dd>
        </div>
        <div>
          <dt>Activations</dt>
          <dd className="num">
            {formatBytes(mem.activationsPerSample)} per sample{' '}
            <span className="muted">(× batch size, kept for backward)</span>
          </dd>
        </div>
      </dl>
      {error ? (
        <p className="note error" role="status">
          Cannot train yet: {error}
        </p>
      ) : (
        <p className="note ok" role="status">
          Ready to train: outputs {out?.[0]} class scores.
        </p>
      )}
    </div>
  );
}
