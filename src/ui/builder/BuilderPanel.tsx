/**
 * The model builder: start from a preset, edit the layer stack, and see every layer's output shape,
 * parameter count and errors live, with the total size and training memory of the model.
 */

import {
  BLOCKS,
  inferShapes,
  isBlock,
  LAYERS,
  type LayerInfo,
  type LayerPath,
  type LayerSpec,
  layerName,
  type ModelSpec,
  PRESETS,
  TEXT_PRESETS,
} from 'kiln/spec';
import { useId, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatBytes } from '../gpuInfo';
import { useKiln, useTrainableSpec } from '../store';
import { type TextSizes, textPresetKey, textPresetOf } from '../store/builderSlice';
import { BlockSizeField } from '../training/TrainingPanel';
import { LayerRow } from './LayerRow';
import { estimateMemory } from './memory';
import { NumberField } from './NumberField';

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
  const infos = useMemo(() => inferShapes(spec), [spec]);
  // A text loaded: the language-model presets, fitted to its vocabulary.
  const vocabSize = useKiln((s) => (s.dataset.info?.text ? s.dataset.info.numClasses : null));

  // Keep keyboard focus on the layer that moved, so repeated presses keep moving the same layer.
  const move = (path: LayerPath, delta: -1 | 1) => {
    moveLayer(path, delta);
    requestAnimationFrame(() => {
      const to = [...path.slice(0, -1), path[path.length - 1] + delta].join('.');
      const same = document.querySelector<HTMLButtonElement>(`[data-move="${to}:${delta}"]`);
      const other = document.querySelector<HTMLButtonElement>(`[data-move="${to}:${-delta}"]`);
      (same && !same.disabled ? same : other)?.focus();
    });
  };

  // One container's nodes, each a row; a block's row holds its own list and "add layer".
  const list = (
    layers: readonly LayerSpec[],
    nodeInfos: readonly LayerInfo[],
    parent: LayerPath,
    unchecked: boolean,
  ) => {
    const firstError = nodeInfos.findIndex((x) => x.error);
    return (
      <ol className="layer-stack">
        {layers.map((layer, i) => {
          const path = [...parent, i];
          const below = unchecked || (firstError >= 0 && i > firstError);
          const info = nodeInfos[i] ?? { outShape: [], params: 0, buffers: 0, activations: 0 };
          return (
            <LayerRow
              // Index keys: a layer has no identity beyond its slot, and moves swap contents between slots.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              key={i}
              path={path}
              count={layers.length}
              layer={layer}
              info={info}
              unchecked={below}
              onChange={(l) => updateLayer(path, l)}
              onRemove={() => removeLayer(path)}
              onMove={(d) => move(path, d)}
            >
              {isBlock(layer) && (
                <>
                  {list(layer.layers, info.children ?? [], path, below)}
                  <AddLayer parent={path} label={`Add to ${layerName(layer, i)}`} onAdd={addLayer} />
                </>
              )}
            </LayerRow>
          );
        })}
      </ol>
    );
  };

  return (
    <section className="card builder" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Model</h2>
      <div className="builder-top">
        <div className="field">
          <label htmlFor={`${id}-preset`}>Preset</label>
          <select id={`${id}-preset`} value={presetKey} onChange={(e) => loadPreset(e.target.value)}>
            {vocabSize === null
              ? Object.entries(PRESETS).map(([key, p]) => (
                  <option key={key} value={key}>
                    {p.name}
                  </option>
                ))
              : Object.entries(TEXT_PRESETS).map(([key, make]) => (
                  <option key={key} value={textPresetKey(key)}>
                    {make({ vocabSize, blockSize: 1 }).name}
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
          input [{spec.inputShape.join(', ')}]{spec.inputDtype === 'int32' && ' token ids'}
          {edited && ' · edited'}
        </span>
      </div>
      {vocabSize !== null && textPresetOf(presetKey) && <TextSizesFields preset={textPresetOf(presetKey)} />}
      {list(spec.layers, infos, [], false)}
      <AddLayer parent={[]} label="Add layer" onAdd={addLayer} />
      <ModelSummary spec={spec} infos={infos} error={error} />
    </section>
  );
}

/** Labels of the text presets' sizes, as nanoGPT names them. */
const SIZE_LABELS: Record<keyof TextSizes, string> = {
  nLayer: 'n_layer',
  nHead: 'n_head',
  nEmbd: 'n_embd',
  dropout: 'dropout',
  tie: "tie lm_head to wte (one weight, nanoGPT's)",
};

/** Which sizes each text preset reads (the bigram none, the MLP its embedding and dropout, the GPT all). */
const PRESET_SIZES: Record<string, (keyof TextSizes)[]> = {
  bigram: [],
  mlp: ['nEmbd', 'dropout'],
  gpt: ['nLayer', 'nHead', 'nEmbd', 'dropout', 'tie'],
};

/** The text preset's sizes and the block size as fields; each change rebuilds the preset. */
function TextSizesFields({ preset }: { preset: string | null }) {
  const sizes = useKiln((s) => s.textSizes);
  const setTextSizes = useKiln((s) => s.setTextSizes);
  return (
    <div className="text-sizes form-grid">
      {(PRESET_SIZES[preset ?? ''] ?? []).map((k) =>
        k === 'tie' ? (
          <label key={k} className="field field-bool">
            <input
              type="checkbox"
              checked={sizes.tie}
              onChange={(e) => setTextSizes({ tie: e.target.checked })}
            />
            {SIZE_LABELS[k]}
          </label>
        ) : (
          <NumberField
            key={k}
            label={SIZE_LABELS[k]}
            value={sizes[k]}
            integer={k !== 'dropout'}
            onChange={(v) => v !== undefined && Number.isFinite(v) && setTextSizes({ [k]: v })}
          />
        ),
      )}
      <BlockSizeField />
    </div>
  );
}

/** A layer type menu and a button that appends one to the model or to a block. */
function AddLayer({
  parent,
  label,
  onAdd,
}: {
  parent: LayerPath;
  label: string;
  onAdd: (type: string, parent: LayerPath) => void;
}) {
  const id = useId();
  const [type, setType] = useState('Linear');
  return (
    <div className="add-layer">
      <div className="field">
        <label htmlFor={`${id}-type`}>Layer type</label>
        <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value)}>
          <optgroup label="Layers">
            {LAYERS.map((d) => (
              <option key={d.type} value={d.type} title={d.doc}>
                {d.type}
              </option>
            ))}
          </optgroup>
          <optgroup label="Blocks">
            {BLOCKS.map((b) => (
              <option key={b.type} value={b.type} title={b.doc}>
                {b.type}
              </option>
            ))}
          </optgroup>
        </select>
      </div>
      <button type="button" onClick={() => onAdd(type, parent)}>
        {label}
      </button>
    </div>
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
          Ready to train: outputs{' '}
          {out && out.length > 1
            ? `[${out.join(', ')}]: ${out.at(-1)} class scores per position`
            : `${out?.[0]} class scores`}
          .
        </p>
      )}
    </div>
  );
}
