/** Models built from specs (nn/spec.ts): the presets, the UI's builder and the CLI's --model. */
import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { GELU, LeakyReLU, ReLU, Sigmoid, Tanh } from './activation';
import { Sequential } from './container';
import { Conv2d } from './conv';
import { Dropout } from './dropout';
import { Flatten } from './flatten';
import { Linear } from './linear';
import type { Module } from './module';
import { BatchNorm, BatchNorm1d, BatchNorm2d } from './norm';
import { AvgPool2d, MaxPool2d } from './pool';
import { type LayerSpec, layerName, type ModelSpec, PRESETS, specError } from './spec';

/** A Sequential built from a spec; its class name in messages is the spec's name. */
export class SpecModel extends Sequential {
  constructor(readonly spec: ModelSpec) {
    const error = specError(spec);
    if (error) throw new Error(`invalid model ${spec.name}: ${error}`);
    super(...spec.layers.map((l, i): [string, Module] => [layerName(l, i), buildLayer(l)]));
  }

  /** The spec's name (SimpleNN, LeNet5...), which survives minification. */
  override get typeName(): string {
    return this.spec.name;
  }

  /** Runs the layers in order, fusing a ReLU into the Linear or BatchNorm before it. */
  override forward(x: Tensor): Tensor {
    const layers = this.children;
    let y = x;
    for (let i = 0; i < layers.length; i++) {
      const [layer, next] = [layers[i], layers[i + 1]];
      if (layer instanceof Linear && next instanceof ReLU) {
        y = next.runForwardHooks(F.linearRelu(y, layer.weight, layer.bias));
        i++;
      } else if (layer instanceof BatchNorm && next instanceof ReLU) {
        y = next.runForwardHooks(layer.forwardRelu(y));
        i++;
      } else {
        y = layer.forward(y);
      }
    }
    return y;
  }
}

/** One layer from its spec. */
export function buildLayer(l: LayerSpec): Module {
  switch (l.type) {
    case 'Linear':
      return new Linear(l.inFeatures, l.outFeatures, { bias: l.bias });
    case 'Conv2d':
      return new Conv2d(l.inChannels, l.outChannels, l.kernelSize, {
        stride: l.stride,
        padding: l.padding,
        bias: l.bias,
      });
    case 'MaxPool2d':
      return new MaxPool2d(l.kernelSize, { stride: l.stride, padding: l.padding });
    case 'AvgPool2d':
      return new AvgPool2d(l.kernelSize, { stride: l.stride, padding: l.padding });
    case 'BatchNorm1d':
      return new BatchNorm1d(l.numFeatures, { eps: l.eps, momentum: l.momentum });
    case 'BatchNorm2d':
      return new BatchNorm2d(l.numFeatures, { eps: l.eps, momentum: l.momentum });
    case 'Dropout':
      return new Dropout(l.p);
    case 'Flatten':
      return new Flatten();
    case 'ReLU':
      return new ReLU();
    case 'LeakyReLU':
      return new LeakyReLU(l.negativeSlope);
    case 'GELU':
      return new GELU();
    case 'Tanh':
      return new Tanh();
    case 'Sigmoid':
      return new Sigmoid();
  }
}

/** Builds a model from a spec. */
export function buildModel(spec: ModelSpec): SpecModel {
  return new SpecModel(spec);
}

/** The guide's SimpleNN: 784-128-10 with keys fc1.weight, fc1.bias, fc2.weight, fc2.bias. */
export function SimpleNN(): SpecModel {
  return buildModel(PRESETS.simplenn);
}
