/**
 * A model described as data: an ordered stack of layers with PyTorch's class names and constructor
 * arguments. The UI's builder edits it, the CLI parses it from a string, `buildModel` turns it into
 * a Module, and the PyTorch exporter writes it out as a class. Shape inference is pure, so the UI
 * can show shapes and errors without touching a tensor.
 */

/** One layer, keyed by its PyTorch class name; `name` is its attribute (state-dict prefix). */
export type LayerSpec = { name?: string } & (
  | { type: 'Linear'; inFeatures: number; outFeatures: number; bias?: boolean }
  | {
      type: 'Conv2d';
      inChannels: number;
      outChannels: number;
      kernelSize: number;
      stride?: number;
      padding?: number;
      bias?: boolean;
    }
  | { type: 'MaxPool2d' | 'AvgPool2d'; kernelSize: number; stride?: number; padding?: number }
  | { type: 'BatchNorm1d' | 'BatchNorm2d'; numFeatures: number; eps?: number; momentum?: number }
  | { type: 'Dropout'; p: number }
  | { type: 'LeakyReLU'; negativeSlope?: number }
  | { type: 'Flatten' | 'ReLU' | 'GELU' | 'Tanh' | 'Sigmoid' }
);

/** The layer class names, in the order the builder offers them. */
export const LAYER_TYPES = [
  'Linear',
  'Conv2d',
  'MaxPool2d',
  'AvgPool2d',
  'BatchNorm1d',
  'BatchNorm2d',
  'Dropout',
  'Flatten',
  'ReLU',
  'LeakyReLU',
  'GELU',
  'Tanh',
  'Sigmoid',
] as const satisfies readonly LayerSpec['type'][];

/** A whole model: a name, the shape of one input sample (e.g. [1, 28, 28]) and its layers. */
export interface ModelSpec {
  name: string;
  inputShape: number[];
  layers: LayerSpec[];
}

/** What shape inference says about one layer. */
export interface LayerInfo {
  /** Per-sample output shape (no batch dimension); the input shape when the layer is invalid. */
  outShape: number[];
  /** Trainable parameter count. */
  params: number;
  /** Non-trainable state held in the state dict (BatchNorm's running statistics). */
  buffers: number;
  /** Why this layer cannot follow the one before it. */
  error?: string;
}

/** Per-layer output shapes, parameter counts and errors; layers after the first error are left unchecked. */
export function inferShapes(spec: ModelSpec): LayerInfo[] {
  const infos: LayerInfo[] = [];
  let shape = spec.inputShape;
  let broken = false;
  for (const layer of spec.layers) {
    if (broken) {
      infos.push({ outShape: shape, params: 0, buffers: 0, error: 'after an invalid layer' });
      continue;
    }
    const info = inferLayer(layer, shape);
    infos.push(info);
    if (info.error) broken = true;
    else shape = info.outShape;
  }
  return infos;
}

/** The first error in a spec as one line naming the layer, or null when the stack is valid. */
export function specError(spec: ModelSpec): string | null {
  if (spec.layers.length === 0) return 'the model has no layers';
  const infos = inferShapes(spec);
  const i = infos.findIndex((x) => x.error);
  if (i >= 0)
    return `layer ${i} (${layerName(spec.layers[i], i)}: ${spec.layers[i].type}): ${infos[i].error}`;
  const out = infos[infos.length - 1].outShape;
  if (out.length !== 1) return `the model must end in a flat output of class scores, not [${out.join(', ')}]`;
  return null;
}

/**
 * Why a valid spec cannot train on data of this sample shape and class count (its input is another
 * shape, or its output is not one score per class, naming the last layer), or null when it can.
 */
export function dataFitError(
  spec: ModelSpec,
  data: { inputShape: number[]; numClasses: number },
): string | null {
  if (spec.inputShape.join() !== data.inputShape.join()) {
    return `the model takes inputs of shape [${spec.inputShape}], the dataset's samples are [${data.inputShape}]`;
  }
  const width = inferShapes(spec).at(-1)?.outShape[0];
  if (width === data.numClasses) return null;
  const i = spec.layers.length - 1;
  return `the model's last layer (${layerName(spec.layers[i], i)}: ${spec.layers[i].type}) gives ${width} outputs, the dataset has ${data.numClasses} classes: make it ${data.numClasses} wide`;
}

/** The attribute name of a layer: its own, or its index as in nn.Sequential. */
export function layerName(layer: LayerSpec, index: number): string {
  return layer.name ?? String(index);
}

/**
 * Values in a valid spec's state dict (parameters and buffers): what a file for it must carry, so a
 * file's spec is checked against its tensors before a model is built from it.
 */
export function countStateValues(spec: ModelSpec): number {
  return inferShapes(spec).reduce((s, x) => s + x.params + x.buffers, 0);
}

/** Total trainable parameters of a valid spec. */
export function countParameters(spec: ModelSpec): number {
  return inferShapes(spec).reduce((s, x) => s + x.params, 0);
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const positiveInt = (x: number) => Number.isInteger(x) && x > 0;

function inferLayer(layer: LayerSpec, shape: number[]): LayerInfo {
  const ok = (outShape: number[], params = 0, buffers = 0): LayerInfo => ({ outShape, params, buffers });
  const fail = (error: string): LayerInfo => ({ outShape: shape, params: 0, buffers: 0, error });
  switch (layer.type) {
    case 'Linear': {
      if (!positiveInt(layer.inFeatures) || !positiveInt(layer.outFeatures))
        return fail('in_features and out_features must be positive integers');
      if (shape.length !== 1)
        return fail(
          `expects a flat input of ${layer.inFeatures} features, got [${shape.join(', ')}]: add a Flatten`,
        );
      if (shape[0] !== layer.inFeatures)
        return fail(`in_features is ${layer.inFeatures} but the input has ${shape[0]} features`);
      const bias = layer.bias !== false;
      return ok([layer.outFeatures], layer.inFeatures * layer.outFeatures + (bias ? layer.outFeatures : 0));
    }
    case 'Conv2d': {
      const { inChannels, outChannels, kernelSize: k } = layer;
      const stride = layer.stride ?? 1;
      const padding = layer.padding ?? 0;
      if (
        ![inChannels, outChannels, k, stride].every(positiveInt) ||
        !(Number.isInteger(padding) && padding >= 0)
      )
        return fail('channels, kernel size and stride must be positive integers, padding non-negative');
      if (shape.length !== 3) return fail(`expects a [C, H, W] input, got [${shape.join(', ')}]`);
      if (shape[0] !== inChannels)
        return fail(`in_channels is ${inChannels} but the input has ${shape[0]} channels`);
      const [h, w] = [shape[1], shape[2]].map((d) => Math.floor((d + 2 * padding - k) / stride) + 1);
      if (h < 1 || w < 1) return fail(`kernel ${k} is larger than the padded input ${shape[1]}x${shape[2]}`);
      const bias = layer.bias !== false;
      return ok([outChannels, h, w], outChannels * inChannels * k * k + (bias ? outChannels : 0));
    }
    case 'MaxPool2d':
    case 'AvgPool2d': {
      const k = layer.kernelSize;
      const stride = layer.stride ?? k;
      const padding = layer.padding ?? 0;
      if (![k, stride].every(positiveInt) || !(Number.isInteger(padding) && padding >= 0))
        return fail('kernel size and stride must be positive integers, padding non-negative');
      if (shape.length !== 3) return fail(`expects a [C, H, W] input, got [${shape.join(', ')}]`);
      if (2 * padding > k) return fail('padding must be at most half the kernel size');
      const [h, w] = [shape[1], shape[2]].map((d) => Math.floor((d + 2 * padding - k) / stride) + 1);
      if (h < 1 || w < 1) return fail(`kernel ${k} is larger than the input ${shape[1]}x${shape[2]}`);
      return ok([shape[0], h, w]);
    }
    case 'BatchNorm1d':
    case 'BatchNorm2d': {
      const want = layer.type === 'BatchNorm1d' ? 1 : 3;
      if (shape.length !== want)
        return fail(`expects a ${want === 1 ? '[features]' : '[C, H, W]'} input, got [${shape.join(', ')}]`);
      if (shape[0] !== layer.numFeatures)
        return fail(`num_features is ${layer.numFeatures} but the input has ${shape[0]}`);
      return ok(shape, 2 * layer.numFeatures, 2 * layer.numFeatures + 1);
    }
    case 'Dropout':
      if (!(layer.p >= 0 && layer.p < 1)) return fail('p must be in [0, 1)');
      return ok(shape);
    case 'Flatten':
      return ok([prod(shape)]);
    case 'LeakyReLU':
    case 'ReLU':
    case 'GELU':
    case 'Tanh':
    case 'Sigmoid':
      return ok(shape);
  }
}

const MNIST_SHAPE = [1, 28, 28];

/** Ready models for MNIST-sized inputs. SimpleNN is the guide's model, with its attribute names. */
export const PRESETS: Record<string, ModelSpec> = {
  simplenn: {
    name: 'SimpleNN',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc1', inFeatures: 784, outFeatures: 128 },
      { type: 'ReLU', name: 'relu' },
      { type: 'Linear', name: 'fc2', inFeatures: 128, outFeatures: 10 },
    ],
  },
  mlp: {
    name: 'MLP with BatchNorm and Dropout',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 784, outFeatures: 256 },
      { type: 'BatchNorm1d', numFeatures: 256 },
      { type: 'ReLU' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', inFeatures: 256, outFeatures: 128 },
      { type: 'BatchNorm1d', numFeatures: 128 },
      { type: 'ReLU' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', inFeatures: 128, outFeatures: 10 },
    ],
  },
  lenet: {
    name: 'LeNet-5',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Conv2d', inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Conv2d', inChannels: 6, outChannels: 16, kernelSize: 5 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 400, outFeatures: 120 },
      { type: 'ReLU' },
      { type: 'Linear', inFeatures: 120, outFeatures: 84 },
      { type: 'ReLU' },
      { type: 'Linear', inFeatures: 84, outFeatures: 10 },
    ],
  },
  cnn: {
    name: 'CNN with BatchNorm',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Conv2d', inChannels: 1, outChannels: 16, kernelSize: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', numFeatures: 16 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Conv2d', inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', numFeatures: 32 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Flatten' },
      { type: 'Dropout', p: 0.25 },
      { type: 'Linear', inFeatures: 1568, outFeatures: 128 },
      { type: 'ReLU' },
      { type: 'Linear', inFeatures: 128, outFeatures: 10 },
    ],
  },
};

/** The layer-list grammar of parseSpec, as the CLI's --help shows it. */
export const SPEC_GRAMMAR = `layers, comma-separated (input sizes are inferred from the shapes):
  linear:OUT                       Linear
  conv:OUT:K[:STRIDE[:PADDING]]    Conv2d (stride 1, padding 0 by default)
  maxpool:K[:STRIDE[:PADDING]]     MaxPool2d (stride K by default); avgpool likewise
  bn                               BatchNorm1d or BatchNorm2d, to fit the input
  dropout[:P]                      Dropout (p 0.5 by default)
  flatten  relu  leakyrelu[:SLOPE]  gelu  tanh  sigmoid`;

/**
 * Parses a layer list such as `flatten,linear:128,relu,dropout:0.2,linear:10` or
 * `conv:32:3:1:1,bn,relu,maxpool:2,flatten,linear:10` (the CLI's --model), in SPEC_GRAMMAR.
 */
export function parseSpec(text: string, inputShape: number[], name = 'custom'): ModelSpec {
  const layers: LayerSpec[] = [];
  let shape = inputShape;
  for (const [i, token] of text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .entries()) {
    const [kind, ...rawArgs] = token.split(':');
    const args = rawArgs.map(Number);
    if (args.some((a) => Number.isNaN(a)))
      throw new Error(`layer ${i} "${token}": arguments must be numbers`);
    const need = (n: number, usage: string) => {
      if (args.length < n) throw new Error(`layer ${i} "${token}": expected ${usage}`);
    };
    let layer: LayerSpec;
    switch (kind.toLowerCase()) {
      case 'linear':
        need(1, 'linear:OUT_FEATURES');
        layer = {
          type: 'Linear',
          inFeatures: shape.length === 1 ? shape[0] : prod(shape),
          outFeatures: args[0],
        };
        break;
      case 'conv':
      case 'conv2d':
        need(2, 'conv:OUT_CHANNELS:KERNEL[:STRIDE[:PADDING]]');
        layer = {
          type: 'Conv2d',
          inChannels: shape[0],
          outChannels: args[0],
          kernelSize: args[1],
          stride: args[2] ?? 1,
          padding: args[3] ?? 0,
        };
        break;
      case 'maxpool':
      case 'avgpool':
        need(1, `${kind}:KERNEL[:STRIDE[:PADDING]]`);
        layer = {
          type: kind.toLowerCase() === 'maxpool' ? 'MaxPool2d' : 'AvgPool2d',
          kernelSize: args[0],
          stride: args[1] ?? args[0],
          padding: args[2] ?? 0,
        };
        break;
      case 'bn':
      case 'batchnorm':
        layer = { type: shape.length === 3 ? 'BatchNorm2d' : 'BatchNorm1d', numFeatures: shape[0] };
        break;
      case 'dropout':
        layer = { type: 'Dropout', p: args[0] ?? 0.5 };
        break;
      case 'leakyrelu':
        layer = { type: 'LeakyReLU', negativeSlope: args[0] ?? 0.01 };
        break;
      default: {
        const simple = {
          flatten: 'Flatten',
          relu: 'ReLU',
          gelu: 'GELU',
          tanh: 'Tanh',
          sigmoid: 'Sigmoid',
        } as const;
        const type = simple[kind.toLowerCase() as keyof typeof simple];
        if (!type)
          throw new Error(
            `layer ${i}: unknown layer "${kind}" (known: linear, conv, maxpool, avgpool, bn, dropout, flatten, relu, leakyrelu, gelu, tanh, sigmoid)`,
          );
        layer = { type };
      }
    }
    layers.push(layer);
    const info = inferShapes({ name, inputShape, layers }).at(-1)!;
    if (info.error) throw new Error(`layer ${i} "${token}": ${info.error}`);
    shape = info.outShape;
  }
  return { name, inputShape, layers };
}
