import { F } from '../autograd';
import * as ops from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { BATCH_NORM_DEFAULTS, LAYER_NORM_EPS } from './defaults';
import { constant } from './init';
import { type HostTensor, Module, Parameter } from './module';

/** Options of the BatchNorm layers (PyTorch's defaults). */
export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
}

/**
 * Batch normalisation over the channel dim (dim 1). Training normalises with the batch's
 * statistics and updates the running ones (unbiased variance, like PyTorch); eval uses the
 * running ones. State-dict keys: weight, bias, running_mean, running_var, num_batches_tracked.
 */
export abstract class BatchNorm extends Module {
  weight?: Parameter;
  bias?: Parameter;
  readonly eps: number;
  readonly momentum: number;
  private batches = 0;

  constructor(
    readonly numFeatures: number,
    private readonly rank: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? BATCH_NORM_DEFAULTS.eps;
    this.momentum = opts.momentum ?? BATCH_NORM_DEFAULTS.momentum;
    if (opts.affine !== false) {
      this.weight = new Parameter(constant(this.backend, [numFeatures], 1));
      this.bias = new Parameter(constant(this.backend, [numFeatures], 0));
    }
    this.registerBuffer('running_mean', constant(this.backend, [numFeatures], 0));
    this.registerBuffer('running_var', constant(this.backend, [numFeatures], 1));
    this.registerBuffer('num_batches_tracked', ops.tensor(this.backend, new Int32Array([0]), [], 'int32'));
  }

  forward(x: Tensor): Tensor {
    return this.normalise(x, false);
  }

  /** relu(forward(x)) in the same kernels: SpecModel's fusion of a BatchNorm and the ReLU after it. */
  forwardRelu(x: Tensor): Tensor {
    return this.normalise(x, true);
  }

  private normalise(x: Tensor, relu: boolean): Tensor {
    if (x.ndim !== this.rank || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.typeName}(${this.numFeatures}) got input of shape [${x.shape}]`);
    }
    if (this.training && x.size / this.numFeatures <= 1) {
      throw new Error(`Expected more than 1 value per channel when training, got input size [${x.shape}]`);
    }
    const y = F.batchNorm(
      x,
      this.buffer('running_mean'),
      this.buffer('running_var'),
      this.weight,
      this.bias,
      {
        training: this.training,
        momentum: this.momentum,
        eps: this.eps,
        relu,
      },
    );
    if (this.training) {
      this.batches++;
      const counter = this.buffer('num_batches_tracked');
      counter.backend.write(counter.storage, new Int32Array([this.batches]));
    }
    return y;
  }

  // Synchronous, and run also when a parent loads: the next training step counts from here.
  protected override afterLoad(entries: Map<string, HostTensor>): void {
    const count = entries.get('num_batches_tracked');
    if (count) this.batches = Number(count.data[0]);
  }
}

/** BatchNorm over [N, C] inputs. */
export class BatchNorm1d extends BatchNorm {
  override get typeName(): string {
    return 'BatchNorm1d';
  }

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, 2, opts);
  }
}

/** BatchNorm over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNorm {
  override get typeName(): string {
    return 'BatchNorm2d';
  }

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, 4, opts);
  }
}

/** Options of LayerNorm (PyTorch's names and defaults). */
export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
}

/**
 * Layer normalisation over the last dim, like nn.LayerNorm(normalized_shape: int): each position
 * normalised by its own mean and (biased) variance, the same in training and eval. State-dict
 * keys: weight (ones) and bias (zeros), when elementwise_affine (and bias) are on.
 */
export class LayerNorm extends Module {
  weight?: Parameter;
  bias?: Parameter;
  readonly eps: number;

  constructor(
    readonly normalizedShape: number,
    opts: LayerNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? LAYER_NORM_EPS;
    if (opts.elementwiseAffine !== false) {
      this.weight = new Parameter(constant(this.backend, [normalizedShape], 1));
      if (opts.bias !== false) this.bias = new Parameter(constant(this.backend, [normalizedShape], 0));
    }
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
