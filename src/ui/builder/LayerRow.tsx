/** One layer of the stack: its class, attribute name, arguments, output shape, parameters and any error. */
import { useId } from 'react';
import type { LayerInfo, LayerSpec } from '../../nn/spec';
import { fieldValue, LAYER_FIELDS, withField } from './layerFields';
import { NumberField } from './NumberField';

/** Props: the layer, what inference says about it, its place in the stack and the edit callbacks. */
export interface LayerRowProps {
  index: number;
  count: number;
  layer: LayerSpec;
  info: LayerInfo;
  /** Below the first invalid layer: shapes there are unknown, so its error is not this layer's fault. */
  unchecked: boolean;
  onChange: (layer: LayerSpec) => void;
  onRemove: () => void;
  onMove: (delta: -1 | 1) => void;
}

/** A list item editing one layer. */
export function LayerRow({
  index,
  count,
  layer,
  info,
  unchecked,
  onChange,
  onRemove,
  onMove,
}: LayerRowProps) {
  const id = useId();
  const title = `${index} ${layer.type}`;
  return (
    <li
      className={unchecked ? 'layer unchecked' : info.error ? 'layer invalid' : 'layer'}
      aria-label={`Layer ${title}`}
    >
      <div className="layer-head">
        <span className="layer-index num">{index}</span>
        <span className="layer-type">{layer.type}</span>
        <span className="layer-out num" title="Output shape per sample">
          {unchecked || info.error ? '→ ?' : `→ [${info.outShape.join(', ')}]`}
        </span>
        <span className="layer-params num" title="Trainable parameters">
          {info.params.toLocaleString('en-US')} params
        </span>
        <div className="layer-actions">
          <button
            type="button"
            data-move={`${index}:-1`}
            onClick={() => onMove(-1)}
            disabled={index === 0}
            aria-label={`Move layer ${title} up`}
            title="Move up"
          >
            ↑
          </button>
          <button
            type="button"
            data-move={`${index}:1`}
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
        {LAYER_FIELDS[layer.type].map((f) =>
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
    </li>
  );
}
