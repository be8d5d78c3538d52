/**
 * Reverse-mode differentiation over the recorded graph, with PyTorch's semantics: gradients of
 * leaves that require them accumulate into `.grad`; the graph is released afterwards.
 */
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { Tensor } from '../tensor/tensor';
import { noGrad } from './grad_mode';
import { resetGradSlots } from './grad_slot';
import { RULES } from './rules';

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
  resetGradSlots();
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>([[root, grad ?? seed(root)]]);
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      const node = t.gradFn;
      if (!node) {
        accumulate(t, g);
        continue;
      }
      const rule = RULES[node.op];
      if (!rule) throw new Error(`no gradient rule for ${node.op}`);
      const inputGrads = rule(g, node, t);
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

/** Adds g into a leaf's .grad, which outlives the step (kept), like a parameter. */
function accumulate(leaf: Tensor, g: Tensor): void {
  if (g.shape.length !== leaf.shape.length || g.shape.some((d, i) => d !== leaf.shape[i])) {
    throw new Error(`gradient of shape [${g.shape}] for a tensor of shape [${leaf.shape}]`);
  }
  const slot = leaf.gradSlot;
  if (slot) {
    // The gradient belongs in the slot. A rule put it there, or it came another way (a rule
    // without a destination, a second use of the leaf, a second backward()): copy it in.
    if (g.storage !== slot) {
      const sum = leaf.grad ? ops.binary('add', leaf.grad, g) : g;
      const view = new Tensor(leaf.backend, slot, leaf.shape);
      ops.copyInto(view, sum);
      view.dispose();
      if (sum !== g) sum.dispose();
    }
    if (leaf.grad?.storage !== slot) {
      leaf.grad?.dispose();
      leaf.grad = new Tensor(leaf.backend, slot, leaf.shape).keep();
    }
    return;
  }
  // A fresh view: the same gradient tensor may flow to several leaves, each owning its own handle.
  const next = leaf.grad ? ops.binary('add', leaf.grad, g) : g.alias(leaf.shape);
  leaf.grad?.dispose();
  leaf.grad = next.keep();
}
