/** Models built from specs (nn/spec.ts, a tree of registry layers): the presets, the builder's and --model's. */
import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { ReLU } from './activation';
import { Sequential } from './container';
import { Conv2d } from './conv';
import { layerDef } from './layers';
import { Linear } from './linear';
import type { Module, Parameter } from './module';
import * as modules from './modules';
import { BatchNorm } from './norm';
import {
  isBlock,
  type LayerSpec,
  layerName,
  type ModelSpec,
  PRESETS,
  resolveFields,
  specError,
} from './spec';

/**
 * A Sequential of spec-built layers that fuses a ReLU into the Linear, Conv2d or BatchNorm before it
 * (one kernel instead of two, the same numbers); forward hooks on the ReLU still see its output.
 */
export class LayerStack extends Sequential {
  override forward(x: Tensor): Tensor {
    const layers = this.children;
    let y = x;
    for (let i = 0; i < layers.length; i++) {
      const [layer, next] = [layers[i], layers[i + 1]];
      if (layer instanceof Linear && next instanceof ReLU) {
        y = next.runForwardHooks(F.linearRelu(y, layer.weight, layer.bias));
        i++;
      } else if (layer instanceof Conv2d && next instanceof ReLU) {
        y = next.runForwardHooks(layer.forwardRelu(y));
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

/** A residual connection: x + f(x), f its layers in order (what a transformer block adds twice). */
export class Residual extends LayerStack {
  override forward(x: Tensor): Tensor {
    return F.add(x, super.forward(x));
  }
}

/** The model of a spec: its tree of modules; its class name in messages is the spec's name. */
export class SpecModel extends LayerStack {
  constructor(readonly spec: ModelSpec) {
    const error = specError(spec);
    if (error) throw new Error(`invalid model ${spec.name}: ${error}`);
    super(...children(spec.layers));
    // Tied weights: the target module's weight becomes the source's Parameter itself, so one
    // tensor trains (parameters() lists it once) and both keys stay in the state dict.
    for (const [target, source] of Object.entries(spec.tied ?? {})) {
      const [owner, from] = [target, source].map((key) => this.module(key.slice(0, -'.weight'.length)));
      const own = owner as unknown as { weight: Parameter };
      own.weight.dispose();
      own.weight = (from as unknown as { weight: Parameter }).weight;
    }
  }

  /** The descendant at a dotted path (PyTorch's get_submodule). */
  private module(path: string): Module {
    let m: Module = this;
    for (const name of path.split('.')) {
      const child = [...m.namedChildren()].find(([k]) => k === name)?.[1];
      if (!child) throw new Error(`${this.spec.name} has no module ${path}`);
      m = child;
    }
    return m;
  }

  /** The spec's name (SimpleNN, LeNet5...), which survives minification. */
  override get typeName(): string {
    return this.spec.name;
  }
}

/** One node of the tree as a module: a registry layer, or a container of them. */
export function buildLayer(l: LayerSpec): Module {
  if (isBlock(l)) {
    if (l.type === 'Repeat') {
      const copies = Array.from({ length: l.times ?? 1 }, (_, i): [string, Module] => [
        String(i),
        new LayerStack(...children(l.layers)),
      ]);
      return new LayerStack(...copies);
    }
    return l.type === 'Residual'
      ? new Residual(...children(l.layers))
      : new LayerStack(...children(l.layers));
  }
  const def = layerDef(l.type);
  if (!def) throw new Error(`"${l.type}" is not a layer`);
  const fields = resolveFields(def, l);
  if (typeof fields === 'string') throw new Error(`${l.type}: ${fields}`);
  return def.build(fields, modules);
}

const children = (layers: readonly LayerSpec[]): [string, Module][] =>
  layers.map((l, i) => [layerName(l, i), buildLayer(l)]);

/** Builds a model from a spec. */
export function buildModel(spec: ModelSpec): SpecModel {
  return new SpecModel(spec);
}

/** The guide's SimpleNN: 784-128-10 with keys fc1.weight, fc1.bias, fc2.weight, fc2.bias. */
export function SimpleNN(): SpecModel {
  return buildModel(PRESETS.simplenn);
}
