/**
 * Optimizer base with PyTorch's shape: param groups holding hyperparameters, per-parameter state,
 * zeroGrad() / step(), and stateDict() / loadStateDict() in torch.optim's layout (state keyed by
 * parameter index, param_groups with indices), so a checkpoint carries over.
 *
 * Each group's parameters, gradients and state live in flat buffers of the optimizer's own
 * (flat.ts), so that a step updates a whole group in one launch, like torch's fused optimizers.
 * zeroGrad() therefore zeroes gradients in place, as torch's zero_grad(set_to_none=False) does:
 * they stay views of the group's buffer. Where a step cannot be one launch (a parameter without a
 * gradient, unequal step counts), it updates parameter by parameter over the same buffers.
 * Several optimizers may hold the same parameters, as in torch: each moves them into its own
 * buffers when it steps (a copy per parameter when another stepped last).
 */
import type { Parameter } from '../nn/module';
import type { Backend, Storage } from '../tensor/backend';
import { full } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { FlatGroup } from './flat';

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

/** What one update launch works on: a parameter, or a whole flat group at once. */
export interface UpdateTarget {
  backend: Backend;
  /** Elements to update. */
  n: number;
  param: Storage;
  grad: Storage;
  /** The step count, this step included. */
  step: number;
  /** The state buffer `name` (exp_avg, momentum_buffer...), zeros on first use. */
  state(name: string): Storage;
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
  /** Each group's flat buffers, or null where its parameters could not be flattened. */
  private readonly flat: (FlatGroup | null)[];
  /** The flat group of each parameter in one. */
  private readonly flatOf = new Map<Parameter, FlatGroup>();

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
    const all = this.allParams();
    if (new Set(all).size !== all.length) throw new Error('some parameters appear more than once');
    this.flat = this.paramGroups.map((g) => FlatGroup.create(g.params));
    this.flat.forEach((f) => {
      for (const p of f?.members ?? []) this.flatOf.set(p, f!);
    });
  }

  /**
   * Zeroes every gradient: in place in a flat group (one launch per group; each parameter gets a
   * gradient, a view of the group's buffer), set to null elsewhere.
   */
  zeroGrad(): void {
    this.paramGroups.forEach((g, i) => {
      const flat = this.flat[i];
      if (flat) {
        flat.zeroGrads();
        return;
      }
      for (const p of g.params) {
        p.grad?.dispose();
        p.grad = null;
      }
    });
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    this.paramGroups.forEach((g, i) => {
      const flat = this.flat[i];
      if (flat && this.stepFlat(flat, g)) return;
      for (const p of g.params) {
        if (!p.grad) continue;
        const s = this.paramState(p);
        s.step++;
        this.update(
          {
            backend: p.backend,
            n: p.size,
            param: p.storage,
            grad: p.grad.storage,
            step: s.step,
            state: (name) => this.stateTensor(p, s, name).storage,
          },
          g,
        );
      }
    });
  }

  /**
   * Updates a whole group in one launch over its flat buffers, when every parameter has a gradient
   * and all have taken the same number of steps; false (and nothing done) otherwise.
   */
  private stepFlat(flat: FlatGroup, g: ParamGroup): boolean {
    const step = this.state.get(g.params[0])?.step ?? 0;
    if (g.params.some((p) => (this.state.get(p)?.step ?? 0) !== step)) return false;
    if (!flat.claim()) return false;
    const states = g.params.map((p) => this.paramState(p));
    for (const s of states) s.step = step + 1;
    this.update(
      {
        backend: flat.params.backend,
        n: flat.size,
        param: flat.params.storage,
        grad: flat.grads.storage,
        step: step + 1,
        state: (name) => {
          // Each parameter's view of the state, for stateDict().
          g.params.forEach((p, j) => {
            this.stateTensor(p, states[j], name);
          });
          return flat.state(name).storage;
        },
      },
      g,
    );
    return true;
  }

  /** One in-place update launch. */
  protected abstract update(t: UpdateTarget, group: ParamGroup): void;

  private paramState(p: Parameter): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = { step: 0, tensors: {} };
      this.state.set(p, s);
    }
    return s;
  }

  /** A parameter's state tensor, zeros when created and kept across steps. */
  private stateTensor(p: Parameter, state: ParamState, name: string): Tensor {
    state.tensors[name] ??= this.flatOf.get(p)?.stateOf(name, p) ?? full(p.backend, p.shape, 0).keep();
    return state.tensors[name];
  }

  /** Every parameter in group order (the indices of the state dict). */
  private allParams(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * Frees the flat buffers and the state. The parameters and gradients in them get storage of
   * their own, holding the same values; the optimizer is unusable afterwards.
   */
  dispose(): void {
    for (const f of this.flat) f?.dispose();
    this.clearState();
  }

  private clearState(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.state.clear();
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
    this.clearState();
    for (const f of this.flat) f?.clearStates();
    for (const [i, entry] of Object.entries(sd.state)) {
      const p = params[Number(i)];
      const s: ParamState = { step: entry.step, tensors: {} };
      for (const [k, v] of Object.entries(entry)) {
        if (k === 'step' || typeof v !== 'object') continue;
        p.backend.write(this.stateTensor(p, s, k).storage, Float32Array.from(v.data));
      }
      this.state.set(p, s);
    }
    sd.param_groups.forEach(({ params: _, ...hyper }, i) => {
      Object.assign(this.paramGroups[i], hyper);
    });
  }
}
