/**
 * Reverse-mode differentiation over the recorded graph, with PyTorch's semantics: gradients of
 * leaves that require them accumulate into `.grad`, in place once it exists (so a `.grad` that is
 * a view into a larger buffer stays one); the graph is released afterwards.
 *
 * One thing beyond torch: a leaf's `.grad` known to hold zeros (markGradsZero) is where a gradient
 * rule writes that leaf's gradient directly (GradInto), so adding it there costs no launch.
 */
import type { Backend, Storage } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { Tensor } from '../tensor/tensor';
import { noGrad } from './grad_mode';
import { type GradInto, RULES } from './rules';

/** `.grad` tensors that hold zeros and have received no gradient since. */
const zeroGrads = new WeakSet<Tensor>();

/**
 * Records that these leaves' `.grad` tensors hold zeros, as their owner has just zeroed them in
 * place (torch's zero_grad(set_to_none=False)): the next gradient of each then overwrites its
 * `.grad` instead of being added to it, and a gradient rule may compute it straight into it.
 * Nothing may write into these tensors before that but backward().
 */
export function markGradsZero(leaves: readonly Tensor[]): void {
  for (const t of leaves) if (t.grad) zeroGrads.add(t.grad);
}

/** Nodes reachable from root, ordered so each comes after everything that consumes it. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const i of t.gradFn?.inputs ?? []) if (i?.requiresGrad && !seen.has(i)) stack.push([i, false]);
  }
  return order.reverse();
}

/** backward()'s seed for a scalar, d(root)/d(root) = 1, one per backend: no fill launch per step. */
const seeds = new WeakMap<Backend, Tensor>();

function seed(root: Tensor): Tensor {
  let one = seeds.get(root.backend);
  if (!one) {
    one = ops.full(root.backend, [], 1).keep();
    seeds.set(root.backend, one);
  }
  // A view: it dies with the step, the shared value lives on (gradient rules never write their g).
  return one.alias(root.shape);
}

/** Computes gradients of `root` (a scalar unless `grad` is given) into every leaf's `.grad`. */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad)
    throw new Error('backward() on a tensor that does not require grad (did you call it inside noGrad?)');
  if (!grad && root.size !== 1)
    throw new Error(`backward() needs a gradient for a non-scalar of shape [${root.shape}]`);
  noGrad(() => {
    // Leaves whose .grad a rule has computed a gradient into, in this backward().
    const written = new Set<Tensor>();
    const into: GradInto = (t, shape = t?.shape ?? []) => {
      if (!t?.requiresGrad || t.gradFn || !t.grad || !zeroGrads.has(t.grad)) return undefined;
      zeroGrads.delete(t.grad);
      written.add(t);
      return new Tensor(t.backend, t.grad.storage, shape);
    };
    const first = grad ?? seed(root);
    // Storages a leaf's .grad must not take over: shared with a tensor that outlives this call.
    const held = new Set([first.storage]);
    const grads = new Map<Tensor, Tensor>([[root, first]]);
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      const node = t.gradFn;
      if (!node) {
        accumulate(t, g, written.has(t), held);
        continue;
      }
      const rule = RULES[node.op];
      if (!rule) throw new Error(`no gradient rule for ${node.op}`);
      const inputGrads = rule(g, node, t, into);
      node.inputs.forEach((input, i) => {
        const ig = inputGrads[i];
        if (!input?.requiresGrad || !ig) return;
        const prev = grads.get(input);
        grads.set(input, prev ? ops.binary('add', prev, ig) : ig);
      });
      t.gradFn = null;
    }
  });
}

/**
 * Adds g into a leaf's .grad, which outlives the step (kept), like a parameter. `written`: a rule
 * computed a part of g into .grad itself (what .grad holds is then in g already). `held`: storages
 * that outlive the backward() call (a new .grad's is added).
 */
function accumulate(leaf: Tensor, g: Tensor, written: boolean, held: Set<Storage>): void {
  if (g.shape.length !== leaf.shape.length || g.shape.some((d, i) => d !== leaf.shape[i])) {
    throw new Error(`gradient of shape [${g.shape}] for a tensor of shape [${leaf.shape}]`);
  }
  const grad = leaf.grad;
  if (!grad) {
    // Like torch, .grad takes over g's storage unless a tensor that outlives this call holds it
    // too (the seed or the caller's gradient, another leaf's .grad), since later gradients are
    // added into .grad in place.
    leaf.grad = (held.has(g.storage) ? ops.clone(g) : g.alias(leaf.shape)).keep();
    held.add(leaf.grad.storage);
    return;
  }
  if (g.storage !== grad.storage) {
    const replace = written || zeroGrads.has(grad);
    ops.copyInto(grad, replace ? g : ops.binary('add', grad, g));
  }
  zeroGrads.delete(grad);
}
