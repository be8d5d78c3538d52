import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { Module } from './module';

/** Options of the classification losses, PyTorch's names. */
export interface CrossEntropyOptions {
  reduction?: 'mean' | 'sum';
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, C] and int32 class labels [N] (log-softmax and NLL fused); logits
 * [B, T, C] and labels [B, T] average over every position (F.crossEntropy).
 */
export class CrossEntropyLoss extends Module {
  constructor(readonly opts: CrossEntropyOptions = {}) {
    super();
    const s = opts.labelSmoothing ?? 0;
    if (!(s >= 0 && s <= 1)) throw new Error(`label_smoothing must be in [0, 1], got ${s}`);
  }

  forward(logits: Tensor, labels: Tensor): Tensor {
    return F.crossEntropy(logits, labels, this.opts);
  }
}

/** Negative log-likelihood of log-probabilities [N, C] and int32 labels [N]. */
export class NLLLoss extends Module {
  constructor(readonly opts: { reduction?: 'mean' | 'sum' } = {}) {
    super();
  }

  forward(logProbs: Tensor, labels: Tensor): Tensor {
    return F.nllLoss(logProbs, labels, this.opts);
  }
}

/** Mean squared error. */
export class MSELoss extends Module {
  constructor(readonly opts: { reduction?: 'mean' | 'sum' } = {}) {
    super();
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.opts);
  }
}
