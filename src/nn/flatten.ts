import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { FLATTEN_DEFAULTS } from './defaults';
import { Module } from './module';

/** Flattens dims startDim..endDim (negative from the end) into one, like nn.Flatten. */
export class Flatten extends Module {
  constructor(
    readonly startDim: number = FLATTEN_DEFAULTS.startDim,
    readonly endDim: number = FLATTEN_DEFAULTS.endDim,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    const [s, e] = [this.startDim, this.endDim].map((d) => (d < 0 ? d + x.ndim : d));
    return F.view(x, [...x.shape.slice(0, s), -1, ...x.shape.slice(e + 1)]);
  }
}
