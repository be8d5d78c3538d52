/**
 * Gradient slots: when an optimizer keeps its parameters' gradients in one flat buffer, a gradient
 * rule writes a parameter's gradient straight into the parameter's slice of it (Tensor.gradSlot),
 * so the optimizer can update every parameter in one launch without first copying gradients.
 */
import { Tensor } from '../tensor/tensor';

/** Leaves whose slot a rule has been handed in the running backward(). */
const handed = new Set<Tensor>();

/** Called as backward() starts. */
export function resetGradSlots(): void {
  handed.clear();
}

/**
 * A tensor of `shape` over t's gradient slot, for a rule to write t's gradient into; undefined
 * unless t is a leaf with a slot, no gradient yet and no slot handed out in this backward() (a
 * second contribution is added to the first in accumulate()).
 */
export function gradInto(
  t: Tensor | undefined,
  shape: readonly number[] = t?.shape ?? [],
): Tensor | undefined {
  if (!t?.gradSlot || t.gradFn || t.grad || handed.has(t)) return undefined;
  handed.add(t);
  return new Tensor(t.backend, t.gradSlot, shape);
}
