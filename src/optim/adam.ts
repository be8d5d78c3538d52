import type { Parameter } from '../nn/module';
import { Optimizer, type ParamGroup, type UpdateTarget } from './optimizer';

/** Options of Adam and AdamW, PyTorch's names and defaults. */
export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Adam (torch.optim.Adam): weight decay is L2, added to the gradient. */
export class Adam extends Optimizer {
  protected readonly decoupled: boolean = false;

  constructor(params: Parameter[] | Partial<ParamGroup>[], opts: AdamOptions = {}, defaultDecay = 0) {
    super(params, {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? defaultDecay,
    });
  }

  protected update(t: UpdateTarget, g: ParamGroup): void {
    const [beta1, beta2] = g.betas as [number, number];
    // Bias corrections in double precision on the host, as torch computes them.
    const bc1 = 1 - beta1 ** t.step;
    const bc2 = 1 - beta2 ** t.step;
    t.backend.run({
      kernel: 'adam',
      buffers: {
        param: t.param,
        grad: t.grad,
        s1: t.state('exp_avg'),
        s2: t.state('exp_avg_sq'),
      },
      params: {
        n: t.n,
        lr: g.lr,
        weightDecay: g.weightDecay as number,
        beta1,
        beta2,
        eps: g.eps as number,
        stepSize: g.lr / bc1,
        biasCorrection2Sqrt: Math.sqrt(bc2),
      },
      constants: { DECOUPLED: this.decoupled },
      dynamic: true,
    });
  }
}

/** AdamW (torch.optim.AdamW): decoupled weight decay, default 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: Parameter[] | Partial<ParamGroup>[], opts: AdamOptions = {}) {
    super(params, opts, 0.01);
  }
}
