import type { Parameter } from '../nn/module';
import { unusedOutput } from '../tensor/ops';
import { Optimizer, type ParamGroup, type UpdateTarget } from './optimizer';

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

  protected update(t: UpdateTarget, g: ParamGroup): void {
    const momentum = g.momentum as number;
    t.backend.run({
      kernel: 'rmsprop',
      buffers: {
        param: t.param,
        grad: t.grad,
        s1: t.state('square_avg'),
        s2: momentum !== 0 ? t.state('momentum_buffer') : unusedOutput(t.backend),
      },
      params: {
        n: t.n,
        lr: g.lr,
        weightDecay: g.weightDecay as number,
        alpha: g.alpha as number,
        eps: g.eps as number,
        momentum,
      },
      dynamic: true,
    });
  }
}
