/**
 * One node of the model tree: its class, attribute name, arguments, output shape, parameters and
 * any error; a block (Residual, Repeat, Sequential) also shows its layers, folded or unfolded.
 */

import { isBlock, type LayerInfo, type LayerPath, type LayerSpec } from 'kiln/spec';
import { type ReactNode, useId, useState } from 'react';
import { fieldValue, layerFields, withField } from './layerFields';
import { NumberField } from './NumberField';

/** Props: the node, what inference says about it, its place in the tree and the edit callbacks. */
export interface LayerRowProps {
  /** Where the node is: its index in each container on the way down. */
  path: LayerPath;
  count: number;
  layer: LayerSpec;
  info: LayerInfo;
  /** A block's children, rendered by the panel (rows and the block's own "add layer"). */
  children?: ReactNode;
  /** Below the first invalid layer: shapes there are unknown, so its error is not this layer's fault. */
  unchecked: boolean;
  onChange: (layer: LayerSpec) => void;
  onRemove: () => void;
  onMove: (delta: -1 | 1) => void;
}

/** A list item editing one layer. */
export function LayerRow({
  path,
  count,
  layer,
  info,
  children,
  unchecked,
  onChange,
  onRemove,
  onMove,
}: LayerRowProps) {
  const id = useId();
  const [open, setOpen] = useState(true);
  const index = path[path.length - 1];
  const where = path.join('.');
  const title = `${where} ${layer.type}`;
  const block = isBlock(layer);
  return (
    <li
      className={`${unchecked ? 'layer unchecked' : info.error ? 'layer invalid' : 'layer'}${block ? ' block' : ''}`}
      aria-label={`Layer ${title}`}
    >
      <div className="layer-head">
        {block ? (
          <button
            type="button"
            className="fold layer-index num"
            aria-expanded={open}
            aria-label={`${open ? 'Fold' : 'Unfold'} ${title}`}
            title={open ? 'Fold' : 'Unfold'}
            onClick={() => setOpen(!open)}
          >
            {open ? '▾' : '▸'}
            {index}
          </button>
        ) : (
          <span className="layer-index num" title={where}>
            {index}
          </span>
        )}
        <span className="layer-type">
          {layer.type}
          {block && layer.type === 'Repeat' && ` ×${layer.times}`}
          {block && !open && <span className="muted"> ({layer.layers.length} layers)</span>}
        </span>
        <span className="layer-out num" title="Output shape per sample">
          {unchecked || info.error ? '→ ?' : `→ [${info.outShape.join(', ')}]`}
        </span>
        <span className="layer-params num" title="Trainable parameters">
          {info.params.toLocaleString('en-US')} params
        </span>
        <div className="layer-actions">
          <button
            type="button"
            data-move={`${where}:-1`}
            onClick={() => onMove(-1)}
            disabled={index === 0}
            aria-label={`Move layer ${title} up`}
            title="Move up"
          >
            ↑
          </button>
          <button
            type="button"
            data-move={`${where}:1`}
            onClick={() => onMove(1)}
            disabled={index === count - 1}
            aria-label={`Move layer ${title} down`}
            title="Move down"
          >
            ↓
          </button>
          <button
            type="button"
            className="danger"
            onClick={onRemove}
            aria-label={`Remove layer ${title}`}
            title="Remove"
          >
            ✕
          </button>
        </div>
      </div>
      <div className="layer-fields">
        <div className="field field-name">
          <label htmlFor={`${id}-name`}>name</label>
          <input
            id={`${id}-name`}
            type="text"
            value={layer.name ?? ''}
            placeholder={String(index)}
            spellCheck={false}
            onChange={(e) => onChange({ ...layer, name: e.target.value.trim() || undefined })}
          />
        </div>
        {block && layer.type === 'Repeat' && (
          <NumberField
            label="times"
            value={layer.times}
            integer
            onChange={(v) => onChange({ ...layer, times: v })}
          />
        )}
        {!block &&
          layerFields(layer.type).map((f) =>
            f.kind === 'bool' ? (
              <label key={f.key} className="field field-bool">
                <input
                  type="checkbox"
                  checked={fieldValue(layer, f.key) !== false}
                  onChange={(e) => onChange(withField(layer, f.key, e.target.checked ? undefined : false))}
                />
                {f.label}
              </label>
            ) : (
              <NumberField
                key={f.key}
                label={f.label}
                value={fieldValue(layer, f.key) as number | undefined}
                integer={f.kind === 'int'}
                defaultText={f.defaultText}
                onChange={(v) => onChange(withField(layer, f.key, v))}
              />
            ),
          )}
      </div>
      {info.error && !unchecked && <p className="layer-error">{info.error}</p>}
      {block && open && children}
    </li>
  );
}
