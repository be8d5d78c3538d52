/**
 * A param group in flat buffers: the parameters, their gradients and each optimizer state
 * (exp_avg, ...) live in one buffer apiece, in which every parameter owns a slice at the same
 * aligned offset. Updating the whole group is then one kernel launch over the buffers rather than
 * one per parameter. The padding between slices is zero in every buffer and stays zero under each
 * update rule here: a zero gradient and zero state move nothing.
 *
 * The group puts its parameters there with Tensor.set_ and their gradients as views of its
 * gradient buffer (torch's DDP does the same with gradient_as_bucket_view). zeroGrads() zeroes
 * that buffer in one launch and tells autograd, whose gradient rules then write each gradient
 * straight into its slice. Whatever moved out since (another optimizer took the parameters over, a
 * gradient was assigned by hand or set to null) is moved back in by claim().
 */
import { markGradsZero } from '../autograd';
import type { Parameter } from '../nn/module';
import type { Storage } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { Tensor } from '../tensor/tensor';

/** The group whose gradient buffer each storage is. */
const byGrads = new WeakMap<Storage, FlatGroup>();

/**
 * Tensors covering the gradients of `params` (all of which have one): a flat group's whole gradient
 * buffer where `params` hold every parameter of the group and the gradients are its views, each
 * parameter's own gradient otherwise. For work over all gradients at once (clipping), which the
 * zero padding between slices does not change.
 */
export function gradientsOf(params: Parameter[]): Tensor[] {
  const out: Tensor[] = [];
  const covered = new Set<FlatGroup>();
  for (const p of params) {
    const g = p.grad!.storage.parent && byGrads.get(p.grad!.storage.parent);
    if (g && covered.has(g)) continue;
    if (g?.holdsGrads() && g.members.every((m) => params.includes(m))) {
      covered.add(g);
      out.push(g.grads);
    } else {
      out.push(p.grad!);
    }
  }
  return out;
}

/** One group's flat buffers. */
export class FlatGroup {
  /** Elements in each flat buffer. */
  readonly size: number;
  /** The parameters' values. */
  readonly params: Tensor;
  /** The gradients. */
  readonly grads: Tensor;
  /** Each member's slice of `params`, then of `grads`, shaped like it. */
  private readonly paramSlices: Tensor[] = [];
  private readonly gradSlices: Tensor[] = [];
  /** Float offset of each member's slices. */
  private readonly offsets = new Map<Parameter, number>();
  private readonly states = new Map<string, Tensor>();

  private constructor(readonly members: Parameter[]) {
    const backend = members[0].backend;
    const align = backend.sliceAlign / 4;
    let end = 0;
    for (const p of members) {
      const at = Math.ceil(end / align) * align;
      this.offsets.set(p, at);
      end = at + p.size;
    }
    // Whole vec4s: the update kernels work four elements at a time.
    this.size = Math.ceil(end / 4) * 4;
    this.params = ops.full(backend, [this.size], 0).keep();
    this.grads = ops.full(backend, [this.size], 0).keep();
    byGrads.set(this.grads.storage, this);
    for (const p of members) {
      this.paramSlices.push(this.sliceOf(this.params, p));
      this.gradSlices.push(this.sliceOf(this.grads, p));
    }
    this.claimParams();
  }

  /**
   * Flattens a group's parameters when they can share buffers (float32, one backend); null
   * otherwise, and the optimizer updates them one by one.
   */
  static create(params: Parameter[]): FlatGroup | null {
    if (!params.length) return null;
    const backend = params[0].backend;
    const ok = params.every((p) => p.backend === backend && p.dtype === 'float32' && !p.isDisposed);
    return ok ? new FlatGroup(params) : null;
  }

  /**
   * Readies the buffers for one launch over the group: when every member has a gradient, moves
   * each parameter and gradient found elsewhere into its slice (a copy each) and returns true;
   * otherwise changes nothing and returns false.
   */
  claim(): boolean {
    if (!this.members.every((p) => p.grad)) return false;
    this.claimParams();
    this.members.forEach((p, i) => {
      const slice = this.gradSlices[i];
      if (p.grad!.storage === slice.storage) return;
      ops.copyInto(slice, p.grad!);
      p.grad!.dispose();
      p.grad = slice.alias(p.shape).keep();
    });
    return true;
  }

  /** Zeroes every member's gradient in place, one launch for all, making each a view of `grads`. */
  zeroGrads(): void {
    this.members.forEach((p, i) => {
      if (p.grad?.storage === this.gradSlices[i].storage) return;
      p.grad?.dispose();
      p.grad = this.gradSlices[i].alias(p.shape).keep();
    });
    const g = this.grads;
    g.backend.run({ kernel: 'fill', buffers: { dst: g.storage }, params: { n: this.size, value: 0 } });
    markGradsZero(this.members);
  }

  /** Whether every member's gradient is its view of `grads`, so one launch over it sees them all. */
  holdsGrads(): boolean {
    return this.members.every((p, i) => p.grad?.storage === this.gradSlices[i].storage);
  }

  /** The flat buffer of state `name`, zeros when first asked for. */
  state(name: string): Tensor {
    let t = this.states.get(name);
    if (!t) {
      t = ops.full(this.params.backend, [this.size], 0).keep();
      this.states.set(name, t);
    }
    return t;
  }

  /** A member's slice of state `name`, shaped like it (kept: the caller owns it). */
  stateOf(name: string, p: Parameter): Tensor {
    return this.sliceOf(this.state(name), p);
  }

  /** Drops every state buffer (loading a state dict starts from zeros). */
  clearStates(): void {
    for (const t of this.states.values()) t.dispose();
    this.states.clear();
  }

  /**
   * Frees the buffers. Members still in them (values, gradients) get storage of their own first,
   * holding the same values.
   */
  dispose(): void {
    this.members.forEach((p, i) => {
      for (const [t, slice] of [
        [p, this.paramSlices[i]],
        [p.grad, this.gradSlices[i]],
      ] as const) {
        if (!t || t.isDisposed || t.storage !== slice.storage) continue;
        const own = ops.clone(t);
        t.set_(own);
        own.dispose();
      }
    });
    for (const t of [...this.paramSlices, ...this.gradSlices, this.params, this.grads]) t.dispose();
    this.clearStates();
  }

  /** Moves each parameter found elsewhere into its slice. */
  private claimParams(): void {
    this.members.forEach((p, i) => {
      const slice = this.paramSlices[i];
      if (p.storage === slice.storage) return;
      ops.copyInto(slice, p);
      p.set_(slice);
    });
  }

  private sliceOf(flat: Tensor, p: Parameter): Tensor {
    const storage = p.backend.slice(flat.storage, this.offsets.get(p)! * 4, p.size * 4);
    return new Tensor(p.backend, storage, p.shape).keep();
  }
}
