import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { Module } from './module';

/** Called with a CausalSelfAttention's softmax weights [B, H, T, T] (see registerWeightsHook). */
export type AttentionWeightsHook = (module: CausalSelfAttention, weights: Tensor) => void;

/** Options of CausalSelfAttention (nanoGPT's config fields). */
export interface CausalSelfAttentionOptions {
  /** Dropout on the attention weights and on the output projection, in training. */
  dropout?: number;
  /** Biases in both projections. */
  bias?: boolean;
}

/**
 * Masked multi-head self-attention as nanoGPT's CausalSelfAttention, so its state-dict keys
 * (`c_attn.weight`, `c_attn.bias`, `c_proj.weight`, `c_proj.bias`) load into nanoGPT as they
 * are: q, k and v from one fused projection c_attn, position t attending to positions 0..t,
 * heads merged and projected by c_proj. Input [B, T, C] (batch first) or unbatched [T, C].
 *
 * Launches per forward: 9 (c_attn; q, k and v read out of its output, one each; the scores'
 * batched matmul; scale + mask + softmax in one; the output's batched matmul; the heads' merge;
 * c_proj), 11 with dropout in training.
 */
export class CausalSelfAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  resid_dropout: Dropout;
  readonly dropout: number;
  /** Called with the attention weights of each eval-mode forward, while registered. */
  private readonly weightsHooks = new Set<AttentionWeightsHook>();

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    opts: CausalSelfAttentionOptions = {},
  ) {
    super();
    if (!(Number.isInteger(numHeads) && numHeads > 0 && embedDim % numHeads === 0)) {
      throw new Error(`embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    this.dropout = opts.dropout ?? 0;
    this.c_attn = new Linear(embedDim, 3 * embedDim, { bias: opts.bias });
    this.c_proj = new Linear(embedDim, embedDim, { bias: opts.bias });
    this.resid_dropout = new Dropout(this.dropout);
  }

  /**
   * Calls `hook` with the softmax weights [B, H, T, T] (row t: how much position t reads from each
   * position 0..t) of every eval-mode forward until the handle is removed, as a forward hook would
   * see them if PyTorch's attention returned them. The weights are a tensor of the forward's own
   * tidy scope: the hook reads or keeps them there. Training never calls it.
   */
  registerWeightsHook(hook: AttentionWeightsHook): { remove(): void } {
    this.weightsHooks.add(hook);
    return { remove: () => this.weightsHooks.delete(hook) };
  }

  forward(x: Tensor): Tensor {
    const C = this.embedDim;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== C) {
      throw new Error(`CausalSelfAttention(${C}) expects input [B, T, ${C}] or [T, ${C}], got [${x.shape}]`);
    }
    const [B, T] = x.ndim === 3 ? x.shape : [1, x.shape[0]];
    const H = this.numHeads;
    const hs = C / H;
    // F.linear takes [N, in] inputs: the positions of every sequence are its rows.
    const qkv = this.c_attn.forward(F.view(x, [B * T, C]));
    // qkv is [B, T, 3, H, hs]: q, k and v, each [B, H, T, hs], are strided reads of it, as
    // nanoGPT's split(C, dim=2) then view(B, T, H, hs).transpose(1, 2).
    const strides = [T * 3 * C, hs, 3 * C, 1];
    const [q, k, v] = [0, 1, 2].map((i) => F.asStrided(qkv, [B, H, T, hs], strides, i * C));
    const watched = this.weightsHooks.size > 0 && !this.training;
    const y = F.scaledDotProductAttention(q, k, v, {
      isCausal: true,
      dropoutP: this.training ? this.dropout : 0,
      onWeights: watched
        ? (w) => {
            const weights = F.view(w, [B, H, T, T]);
            for (const hook of this.weightsHooks) hook(this, weights);
          }
        : undefined,
    });
    const merged = F.permute(y, [0, 2, 1, 3]);
    const out = this.resid_dropout.forward(this.c_proj.forward(F.view(merged, [B * T, C])));
    return F.view(out, x.shape);
  }
}
