import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { defaultWeightAndBias } from './init';
import { Module, Parameter } from './module';

/** y = x W^T + b with W [out, in], PyTorch's layout and initialisation. */
export class Linear extends Module {
  weight: Parameter;
  bias?: Parameter;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean } = {},
  ) {
    super();
    const init = defaultWeightAndBias(this.backend, [outFeatures, inFeatures], opts.bias !== false);
    this.weight = new Parameter(init.weight);
    if (init.bias) this.bias = new Parameter(init.bias);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}
