/**
 * A param group in flat buffers: the parameters, their gradients and each optimizer state
 * (exp_avg, ...) live in one buffer apiece, in which every parameter owns a slice at the same
 * aligned offset. Updating the whole group is then one kernel launch over the buffers rather than
 * one per parameter. The padding between slices is zero in every buffer and stays zero under each
 * update rule here: a zero gradient and zero state move nothing.
 */
import type { Parameter } from '../nn/module';
import { full } from '../tensor/ops';
import { Tensor } from '../tensor/tensor';

/** The flat group each flattened parameter belongs to. */
const groupOf = new WeakMap<Parameter, FlatGroup>();

/**
 * Tensors covering the gradients of `params` (all of which have one): a flat group's whole gradient
 * buffer where `params` hold every parameter of the group and the gradients sit in their slots,
 * each parameter's own gradient otherwise. For work over all gradients at once (clipping), which
 * the zero padding between slots does not change.
 */
export function gradientsOf(params: Parameter[]): Tensor[] {
  const out: Tensor[] = [];
  const covered = new Set<FlatGroup>();
  for (const p of params) {
    const g = FlatGroup.of(p);
    if (g && covered.has(g)) continue;
    if (g?.gradsInSlots() && g.members.every((m) => params.includes(m))) {
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
  /** The parameters' values (each Parameter's storage is its slice). */
  readonly params: Tensor;
  /** The gradients (each Parameter's gradSlot is its slice). */
  readonly grads: Tensor;
  /** Float offset of each parameter's slice. */
  private readonly offsets = new Map<Parameter, number>();
  /** Tensors over the gradient slots: they hold the slots for the optimizer's lifetime. */
  private readonly slots: Tensor[] = [];
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
    this.params = full(backend, [this.size], 0).keep();
    this.grads = full(backend, [this.size], 0).keep();
    for (const p of members) {
      p.moveTo(this.slice(this.params, p));
      const slot = this.slice(this.grads, p);
      this.slots.push(new Tensor(backend, slot, p.shape).keep());
      p.gradSlot = slot;
      groupOf.set(p, this);
    }
  }

  /** The flat group a parameter was moved into, if any. */
  static of(p: Parameter): FlatGroup | undefined {
    return groupOf.get(p);
  }

  /**
   * Flattens a group's parameters when they can share buffers (float32, one backend, not already
   * in another optimizer's buffers); null otherwise, and the optimizer updates them one by one.
   */
  static create(params: Parameter[]): FlatGroup | null {
    if (!params.length || new Set(params).size !== params.length) return null;
    const backend = params[0].backend;
    const ok = params.every(
      (p) => p.backend === backend && p.dtype === 'float32' && !p.gradSlot && !p.isDisposed,
    );
    return ok ? new FlatGroup(params) : null;
  }

  /** Whether every parameter's gradient is in its slot, so one launch over `grads` sees them all. */
  gradsInSlots(): boolean {
    return this.members.every((p) => p.grad !== null && p.grad.storage === p.gradSlot);
  }

  /** The flat buffer of state `name`, zeros when first asked for. */
  state(name: string): Tensor {
    let t = this.states.get(name);
    if (!t) {
      t = full(this.params.backend, [this.size], 0).keep();
      this.states.set(name, t);
    }
    return t;
  }

  /** A parameter's slice of state `name`, shaped like the parameter (kept: the caller owns it). */
  stateOf(name: string, p: Parameter): Tensor {
    return new Tensor(p.backend, this.slice(this.state(name), p), p.shape).keep();
  }

  /** Drops every state buffer (loading a state dict starts from zeros). */
  clearStates(): void {
    for (const t of this.states.values()) t.dispose();
    this.states.clear();
  }

  private slice(flat: Tensor, p: Parameter) {
    return p.backend.slice(flat.storage, this.offsets.get(p)! * 4, p.size * 4);
  }
}
