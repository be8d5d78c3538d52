/** The constructor arguments the builder lets the user edit, per layer class, labelled with PyTorch's names. */
import type { LayerSpec } from '../../nn/spec';

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

const int = (key: string, label: string, defaultText?: string): LayerField => ({
  key,
  label,
  kind: 'int',
  defaultText,
});
const float = (key: string, label: string, defaultText?: string): LayerField => ({
  key,
  label,
  kind: 'float',
  defaultText,
});
const bias: LayerField = { key: 'bias', label: 'bias', kind: 'bool', defaultText: 'true' };
// PyTorch's pooling stride defaults to None, meaning kernel_size.
const pool = [
  int('kernelSize', 'kernel_size'),
  int('stride', 'stride', 'None'),
  int('padding', 'padding', '0'),
];
const norm = [
  int('numFeatures', 'num_features'),
  float('eps', 'eps', '1e-5'),
  float('momentum', 'momentum', '0.1'),
];

/** Each layer class's editable arguments, in PyTorch's constructor order. */
export const LAYER_FIELDS: Record<LayerSpec['type'], LayerField[]> = {
  Linear: [int('inFeatures', 'in_features'), int('outFeatures', 'out_features'), bias],
  Conv2d: [
    int('inChannels', 'in_channels'),
    int('outChannels', 'out_channels'),
    int('kernelSize', 'kernel_size'),
    int('stride', 'stride', '1'),
    int('padding', 'padding', '0'),
    bias,
  ],
  MaxPool2d: pool,
  AvgPool2d: pool,
  BatchNorm1d: norm,
  BatchNorm2d: norm,
  Dropout: [float('p', 'p')],
  LeakyReLU: [float('negativeSlope', 'negative_slope', '0.01')],
  Flatten: [],
  ReLU: [],
  GELU: [],
  Tanh: [],
  Sigmoid: [],
};

/** The layer with one argument changed; `undefined` restores PyTorch's default. */
export function withField(layer: LayerSpec, key: string, value: number | boolean | undefined): LayerSpec {
  const next: Record<string, unknown> = { ...layer };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next as LayerSpec;
}

/** A layer argument's current value, if set. */
export function fieldValue(layer: LayerSpec, key: string): number | boolean | undefined {
  return (layer as Record<string, unknown>)[key] as number | boolean | undefined;
}
