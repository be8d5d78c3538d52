/**
 * Gradient clipping, like torch.nn.utils.clip_grad_norm_ / clip_grad_value_. The total norm is
 * computed and applied on the device: nothing is read back, so clipping costs no stall. Both
 * change the gradients in place, as torch's do, so gradients in an optimizer's flat buffer stay
 * there (and are clipped with one launch per buffer).
 */
import type { Parameter } from '../nn/module';
import * as ops from '../tensor/ops';
import { type Tensor, tidy } from '../tensor/tensor';
import { gradientsOf } from './flat';

/** Replaces each gradient's values by f of them, in place. */
function updateInPlace(grads: Tensor[], f: (g: Tensor) => Tensor): void {
  tidy(() => {
    for (const g of grads) ops.copyInto(g, f(g));
  });
}

/**
 * Scales all gradients together so their total norm is at most maxNorm. Returns the total norm
 * (before clipping) as a one-element tensor the caller owns; read it with item() when needed.
 */
export function clipGradNorm_(params: Parameter[], maxNorm: number, normType = 2): Tensor {
  const withGrad = params.filter((p) => p.grad);
  if (!withGrad.length) throw new Error('clipGradNorm_: no parameter has a gradient');
  if (normType !== 2 && normType !== Number.POSITIVE_INFINITY)
    throw new Error(`clipGradNorm_ supports normType 2 and Infinity, got ${normType}`);
  const backend = withGrad[0].backend;
  const grads = gradientsOf(withGrad);
  const total = tidy(() => {
    let acc: Tensor | null = null;
    for (const g of grads) {
      const part = normType === 2 ? ops.reduce('sumSquares', g) : ops.reduce('max', ops.unary('abs', g));
      acc = acc ? ops.binary(normType === 2 ? 'add' : 'maximum', acc, part) : part;
    }
    return normType === 2 ? ops.unary('sqrt', acc!) : acc!;
  });
  tidy(() => {
    // clip_coef = min(max_norm / (total + 1e-6), 1), as torch computes it.
    const coef = ops.binary(
      'minimum',
      ops.binary('div', ops.full(backend, [], maxNorm), ops.unary('affine', total, 1, 1e-6)),
      ops.full(backend, [], 1),
    );
    updateInPlace(grads, (g) => ops.binary('mul', g, coef));
  });
  return total.keep();
}

/** Clamps every gradient element into [-clipValue, clipValue]. */
export function clipGradValue_(params: Parameter[], clipValue: number): void {
  const withGrad = params.filter((p) => p.grad);
  updateInPlace(gradientsOf(withGrad), (g) => ops.unary('clamp', g, -clipValue, clipValue));
}
