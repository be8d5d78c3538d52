import type { Parameter } from '../nn/module';
import { unusedOutput } from '../tensor/ops';
import { Optimizer, type ParamGroup, type UpdateTarget } from './optimizer';

/** Options of SGD, PyTorch's names and defaults. */
export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD). */
export class SGD extends Optimizer {
  constructor(params: Parameter[] | Partial<ParamGroup>[], opts: SGDOptions = {}) {
    super(params, {
      lr: opts.lr ?? 1e-3,
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
    });
    for (const g of this.paramGroups) {
      if (g.nesterov && (!(g.momentum as number) || (g.dampening as number) !== 0)) {
        throw new Error('Nesterov momentum requires a momentum and zero dampening');
      }
    }
  }

  protected update(t: UpdateTarget, g: ParamGroup): void {
    const momentum = g.momentum as number;
    t.backend.run({
      kernel: 'sgd',
      buffers: {
        param: t.param,
        grad: t.grad,
        s1: momentum !== 0 ? t.state('momentum_buffer') : unusedOutput(t.backend),
      },
      params: {
        n: t.n,
        lr: g.lr,
        weightDecay: g.weightDecay as number,
        momentum,
        dampening: g.dampening as number,
        nesterov: g.nesterov ? 1 : 0,
        firstStep: t.step === 1 ? 1 : 0,
      },
      dynamic: true,
    });
  }
}
