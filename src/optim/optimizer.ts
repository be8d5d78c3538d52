/**
 * Optimizer base with PyTorch's shape: param groups holding hyperparameters, per-parameter state,
 * zeroGrad() / step(), and stateDict() / loadStateDict() in torch.optim's layout (state keyed by
 * parameter index, param_groups with indices), so a checkpoint carries over.
 */
import type { Parameter } from '../nn/module';
import { full } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';

/** One group of parameters and its hyperparameters (lr and the optimizer's own). */
export interface ParamGroup {
  params: Parameter[];
  lr: number;
  [hyper: string]: unknown;
}

/** What a parameter's state holds: a step count and named tensors (exp_avg, momentum_buffer...). */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

/** A state dict read back to the host, in torch.optim's layout. */
export interface OptimizerStateDict {
  state: Record<number, { step: number } & Record<string, { shape: number[]; data: Float32Array } | number>>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

/** Base of every optimizer. */
export abstract class Optimizer {
  readonly paramGroups: ParamGroup[];
  protected readonly state = new Map<Parameter, ParamState>();

  constructor(
    params: Parameter[] | Partial<ParamGroup>[],
    defaults: Record<string, unknown> & { lr: number },
  ) {
    const groups = (
      params.length && !('params' in params[0]) ? [{ params: params as Parameter[] }] : params
    ) as Partial<ParamGroup>[];
    this.paramGroups = groups.map(
      (g) => ({ ...defaults, ...g, params: [...(g.params ?? [])] }) as ParamGroup,
    );
    for (const g of this.paramGroups) if (!(g.lr >= 0)) throw new Error(`Invalid learning rate: ${g.lr}`);
  }

  /** Clears every parameter's gradient (set to null). */
  zeroGrad(): void {
    for (const g of this.paramGroups)
      for (const p of g.params) {
        p.grad?.dispose();
        p.grad = null;
      }
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    for (const g of this.paramGroups)
      for (const p of g.params) {
        if (!p.grad) continue;
        let s = this.state.get(p);
        if (!s) {
          s = { step: 0, tensors: {} };
          this.state.set(p, s);
        }
        s.step++;
        this.update(p, p.grad, s, g);
      }
  }

  /** One parameter's in-place update. */
  protected abstract update(p: Parameter, grad: Tensor, state: ParamState, group: ParamGroup): void;

  /** A state tensor of zeros, created on first use and kept across steps. */
  protected stateTensor(p: Parameter, state: ParamState, name: string): Tensor {
    state.tensors[name] ??= full(p.backend, p.shape, 0).keep();
    return state.tensors[name];
  }

  /** Every parameter in group order (the indices of the state dict). */
  private allParams(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** The state read back to the host, in torch.optim's layout. */
  async stateDict(): Promise<OptimizerStateDict> {
    const params = this.allParams();
    const state: OptimizerStateDict['state'] = {};
    for (const [i, p] of params.entries()) {
      const s = this.state.get(p);
      if (!s) continue;
      const entry: OptimizerStateDict['state'][number] = { step: s.step };
      for (const [k, t] of Object.entries(s.tensors))
        entry[k] = { shape: [...t.shape], data: (await t.data()) as Float32Array };
      state[i] = entry;
    }
    let next = 0;
    const param_groups = this.paramGroups.map(({ params: ps, ...hyper }) => ({
      ...hyper,
      params: ps.map(() => next++),
    }));
    return { state, param_groups };
  }

  /** Restores a state from stateDict(); all or nothing. */
  loadStateDict(sd: OptimizerStateDict): void {
    const params = this.allParams();
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error(
        `loaded state dict has ${sd.param_groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`,
      );
    }
    sd.param_groups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i].params.length) {
        throw new Error(
          `loaded state dict contains a parameter group that doesn't match the size of optimizer's group ${i}`,
        );
      }
    });
    for (const [i, entry] of Object.entries(sd.state)) {
      const p = params[Number(i)];
      if (!p) throw new Error(`optimizer state for parameter ${i}, which does not exist`);
      for (const [k, v] of Object.entries(entry)) {
        if (k !== 'step' && typeof v === 'object' && v.data.length !== p.size) {
          throw new Error(
            `optimizer state ${k} of parameter ${i} has ${v.data.length} values, the parameter has ${p.size}`,
          );
        }
      }
    }
    for (const s of this.state.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.state.clear();
    for (const [i, entry] of Object.entries(sd.state)) {
      const p = params[Number(i)];
      const s: ParamState = { step: entry.step, tensors: {} };
      for (const [k, v] of Object.entries(entry)) {
        if (k === 'step' || typeof v !== 'object') continue;
        const t = full(p.backend, p.shape, 0).keep();
        p.backend.write(t.storage, Float32Array.from(v.data));
        s.tensors[k] = t;
      }
      this.state.set(p, s);
    }
    sd.param_groups.forEach(({ params: _, ...hyper }, i) => {
      Object.assign(this.paramGroups[i], hyper);
    });
  }
}
