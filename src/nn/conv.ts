import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { CONV_DEFAULTS } from './defaults';
import { defaultWeightAndBias } from './init';
import { Module, Parameter } from './module';

/** Options of Conv2d (square kernels). */
export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
}

/** 2-D convolution over [N, C, H, W], weight [out, in, k, k] as in PyTorch. */
export class Conv2d extends Module {
  weight: Parameter;
  bias?: Parameter;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    opts: Conv2dOptions = {},
  ) {
    super();
    this.stride = opts.stride ?? CONV_DEFAULTS.stride;
    this.padding = opts.padding ?? CONV_DEFAULTS.padding;
    const init = defaultWeightAndBias(
      this.backend,
      [outChannels, inChannels, kernelSize, kernelSize],
      opts.bias !== false,
    );
    this.weight = new Parameter(init.weight);
    if (init.bias) this.bias = new Parameter(init.bias);
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  /** relu(forward(x)) in the same launch: what a model does when a ReLU follows. */
  forwardRelu(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, relu: true });
  }
}
