import type { Parameter } from '../nn/module';
import { unusedBinding } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { Optimizer, type ParamGroup, type ParamState } from './optimizer';

/** Options of RMSprop, PyTorch's names and defaults. */
export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
}

/** RMSprop (torch.optim.RMSprop, centered=False). */
export class RMSprop extends Optimizer {
  constructor(params: Parameter[] | Partial<ParamGroup>[], opts: RMSpropOptions = {}) {
    super(params, {
      lr: opts.lr ?? 1e-2,
      alpha: opts.alpha ?? 0.99,
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      momentum: opts.momentum ?? 0,
    });
  }

  protected update(p: Parameter, grad: Tensor, s: ParamState, g: ParamGroup): void {
    const momentum = g.momentum as number;
    p.backend.run({
      kernel: 'rmsprop',
      buffers: {
        param: p.storage,
        grad: grad.storage,
        s1: this.stateTensor(p, s, 'square_avg').storage,
        s2: momentum !== 0 ? this.stateTensor(p, s, 'momentum_buffer').storage : unusedBinding(p.backend),
      },
      params: {
        n: p.size,
        lr: g.lr,
        weightDecay: g.weightDecay as number,
        c0: g.alpha as number,
        c1: g.eps as number,
        c2: momentum,
        c3: 0,
        c4: 0,
      },
      dynamic: true,
    });
  }
}
