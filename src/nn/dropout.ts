import { F } from '../autograd';
import { defaultGenerator } from '../tensor/default';
import type { Tensor } from '../tensor/tensor';
import { DROPOUT_P } from './defaults';
import { Module } from './module';

/** Inverted dropout: zeroes elements with probability p in training, identity in eval. */
export class Dropout extends Module {
  constructor(readonly p = DROPOUT_P) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`dropout probability has to be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return F.view(x, x.shape);
    // Each call draws its mask seed from the global generator, so a seed fixes every mask.
    return F.dropout(x, this.p, defaultGenerator.nextU32());
  }
}
