/** The constructor arguments the builder lets the user edit, from the layer registry, labelled with PyTorch's names. */
import { type LeafSpec, layerDef } from 'kiln/spec';

/** One editable constructor argument. */
export interface LayerField {
  /** The property on the LayerSpec (camelCase). */
  key: string;
  /** PyTorch's keyword (snake_case): the label a PyTorch user recognises. */
  label: string;
  kind: 'int' | 'float' | 'bool';
  /** PyTorch's default, shown as a placeholder; a field with one may be left empty. */
  defaultText?: string;
}

/** A layer class's editable arguments, in PyTorch's constructor order. */
export function layerFields(type: string): LayerField[] {
  return (layerDef(type)?.fields ?? []).map((f) => ({
    key: f.key,
    label: f.py,
    kind: f.kind,
    defaultText: f.default !== undefined ? String(f.default) : f.none !== undefined ? 'None' : undefined,
  }));
}

/** The layer with one argument changed; `undefined` restores PyTorch's default. */
export function withField(layer: LeafSpec, key: string, value: number | boolean | undefined): LeafSpec {
  const next: LeafSpec = { ...layer };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

/** A layer argument's current value, if set. */
export function fieldValue(layer: LeafSpec, key: string): number | boolean | undefined {
  return layer[key] as number | boolean | undefined;
}
