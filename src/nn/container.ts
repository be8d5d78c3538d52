import type { Tensor } from '../tensor/tensor';
import { Module } from './module';

/** Runs its children in order. Children are named by index, or by the names given. */
export class Sequential extends Module {
  private readonly layers: Module[] = [];

  constructor(...layers: (Module | [string, Module])[]) {
    super();
    layers.forEach((l, i) => {
      const [name, m] = Array.isArray(l) ? l : [String(i), l];
      this.registerModule(name, m);
      this.layers.push(m);
    });
  }

  /** The children in order. */
  get children(): readonly Module[] {
    return this.layers;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const l of this.layers) y = l.forward(y);
    return y;
  }
}
