import { F, noGrad } from '../autograd';
import * as ops from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
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
abstract class BatchNorm extends Module {
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
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (opts.affine !== false) {
      this.weight = new Parameter(constant(this.backend, [numFeatures], 1));
      this.bias = new Parameter(constant(this.backend, [numFeatures], 0));
    }
    this.registerBuffer('running_mean', constant(this.backend, [numFeatures], 0));
    this.registerBuffer('running_var', constant(this.backend, [numFeatures], 1));
    this.registerBuffer('num_batches_tracked', ops.tensor(this.backend, new Int32Array([0]), [], 'int32'));
  }

  /** The shape that broadcasts per-channel values against the input. */
  private channelShape(): number[] {
    return [1, this.numFeatures, ...Array(this.rank - 2).fill(1)];
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== this.rank || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}(${this.numFeatures}) got input of shape [${x.shape}]`);
    }
    const cs = this.channelShape();
    const dims = [0, ...Array.from({ length: this.rank - 2 }, (_, i) => i + 2)];
    let xhat: Tensor;
    if (this.training) {
      const n = x.size / this.numFeatures;
      if (n <= 1)
        throw new Error(`Expected more than 1 value per channel when training, got input size [${x.shape}]`);
      const mean = F.mean(x, dims, true);
      const centered = F.sub(x, mean);
      const variance = F.mean(F.mul(centered, centered), dims, true);
      xhat = F.div(centered, F.sqrt(F.add(variance, this.eps)));
      noGrad(() => this.updateRunningStats(mean, variance, n));
    } else {
      const rm = this.buffer('running_mean').alias(cs);
      const rv = this.buffer('running_var').alias(cs);
      xhat = F.div(F.sub(x, rm), F.sqrt(F.add(rv, this.eps)));
    }
    if (!this.weight || !this.bias) return xhat;
    return F.add(F.mul(xhat, F.view(this.weight, cs)), F.view(this.bias, cs));
  }

  private updateRunningStats(mean: Tensor, variance: Tensor, n: number): void {
    const m = this.momentum;
    const mix = (name: string, batch: Tensor, scale: number) => {
      const old = this.buffer(name);
      const next = ops.binary(
        'add',
        ops.unary('affine', old, 1 - m, 0),
        ops.unary('affine', batch.alias([this.numFeatures]), m * scale, 0),
      );
      this.registerBuffer(name, next);
    };
    mix('running_mean', mean, 1);
    mix('running_var', variance, n / (n - 1));
    this.batches++;
    const counter = this.buffer('num_batches_tracked');
    counter.backend.write(counter.storage, new Int32Array([this.batches]));
  }

  // Synchronous, and run also when a parent loads: the next training step counts from here.
  protected override afterLoad(entries: Map<string, HostTensor>): void {
    const count = entries.get('num_batches_tracked');
    if (count) this.batches = Number(count.data[0]);
  }
}

/** BatchNorm over [N, C] inputs. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, 2, opts);
  }
}

/** BatchNorm over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, 4, opts);
  }
}
