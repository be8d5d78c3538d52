import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { POOL_PADDING } from './defaults';
import { Module } from './module';

/** Options of the pooling layers; stride defaults to the kernel size, as in PyTorch. */
export interface PoolOptions {
  stride?: number;
  padding?: number;
}

/** What both pooling layers hold: a square window and its stride and padding. */
abstract class Pool2d extends Module {
  readonly opts: PoolOptions;

  constructor(
    readonly kernelSize: number,
    opts: PoolOptions = {},
  ) {
    super();
    this.opts = { stride: opts.stride ?? kernelSize, padding: opts.padding ?? POOL_PADDING };
  }
}

/** 2-D max pooling. */
export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.opts);
  }
}

/** 2-D average pooling (count_include_pad=True). */
export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.opts);
  }
}
