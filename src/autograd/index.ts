/** Autograd: differentiable ops (F), Tensor methods, backward and noGrad. */
import './methods';

export { backward, markGradsZero } from './backward';
export * as F from './functional';
export { isGradEnabled, noGrad } from './grad_mode';
