/**
 * Fitting the builder's model to the loaded data: a model whose first weighted layer is a Linear
 * (an MLP) takes any sample shape once its input, that Linear's in_features and the last Linear's
 * out_features follow the data; the builder has no field for the input shape, so the page does it.
 * A model that starts with a convolution is left as it is: a table cannot feed it, and the builder
 * says so (nn/spec dataFitError).
 */
import type { LayerSpec, ModelSpec } from 'kiln/spec';

/** The sample shape and class count a model must fit. */
export interface DataShape {
  inputShape: number[];
  numClasses: number;
}

/**
 * `spec` made to take `data`'s samples and give one score per class: the input shape, the first
 * Linear's in_features (a Flatten put first for images if there is none) and the last Linear's
 * out_features. Returns `spec` itself when it already fits, or when it does not start with a Linear.
 */
export function fitToData(spec: ModelSpec, data: DataShape | null): ModelSpec {
  if (!data) return spec;
  const first = spec.layers.findIndex((l) => l.type !== 'Flatten');
  // An MLP: plain Flattens (every dim) and then a Linear over all of the input's values.
  const plain = spec.layers
    .slice(0, first)
    .every((l) => Object.keys(l).every((k) => k === 'type' || k === 'name'));
  const head = spec.layers[first];
  if (head?.type !== 'Linear' || !plain || head.inFeatures !== spec.inputShape.reduce((a, b) => a * b, 1))
    return spec;
  const features = data.inputShape.reduce((a, b) => a * b, 1);
  const layers: LayerSpec[] = spec.layers.map((l, i) =>
    l.type === 'Linear' && i === first ? { ...l, inFeatures: features } : l,
  );
  const last = layers.length - 1;
  const end = layers[last];
  if (end.type === 'Linear') layers[last] = { ...end, outFeatures: data.numClasses };
  if (first === 0 && data.inputShape.length > 1) layers.unshift({ type: 'Flatten' });
  const fitted = { ...spec, inputShape: [...data.inputShape], layers };
  return JSON.stringify(fitted) === JSON.stringify(spec) ? spec : fitted;
}
