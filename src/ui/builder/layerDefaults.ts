/** A freshly added layer, with PyTorch's defaults and its sizes fitted to the shape it will receive. */
import type { LayerSpec } from '../../nn/spec';

/** A new layer of `type` that accepts `inShape` where it can (e.g. Linear's inFeatures, Conv2d's inChannels). */
export function defaultLayer(type: LayerSpec['type'], inShape: number[]): LayerSpec {
  const channels = inShape[0] ?? 1;
  switch (type) {
    case 'Linear':
      // A non-flat input is left as is (inferShapes then asks for a Flatten), but the size already fits it.
      return { type, inFeatures: inShape.reduce((a, b) => a * b, 1), outFeatures: 128 };
    case 'Conv2d':
      return { type, inChannels: channels, outChannels: 16, kernelSize: 3, padding: 1 };
    case 'MaxPool2d':
    case 'AvgPool2d':
      return { type, kernelSize: 2 };
    case 'BatchNorm1d':
    case 'BatchNorm2d':
      return { type, numFeatures: channels };
    case 'Dropout':
      return { type, p: 0.5 };
    case 'LeakyReLU':
      return { type, negativeSlope: 0.01 };
    case 'Flatten':
    case 'ReLU':
    case 'GELU':
    case 'Tanh':
    case 'Sigmoid':
      return { type };
  }
}
