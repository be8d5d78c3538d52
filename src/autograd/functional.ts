/**
 * Differentiable ops: each runs the raw op and, when gradients are on and an input needs one,
 * records a node whose gradient rule (autograd/rules.ts) has the same name.
 */
import { defaultGenerator } from '../tensor/default';
import type { BinaryOp, UnaryOp } from '../tensor/kernels';
import * as ops from '../tensor/ops';
import { type GradNode, Tensor } from '../tensor/tensor';
import { isGradEnabled } from './grad_mode';

/** Marks `out` as produced by `op` from `inputs`, when any input needs a gradient. */
export function record(
  out: Tensor,
  op: string,
  inputs: (Tensor | undefined)[],
  saved: GradNode['saved'] = {},
): Tensor {
  if (isGradEnabled() && inputs.some((t) => t?.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs: inputs as Tensor[], saved };
  }
  return out;
}

/** A number or a tensor, as PyTorch's arithmetic accepts. */
export type Operand = Tensor | number;

function arith(op: 'add' | 'sub' | 'mul' | 'div', a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') {
    // Scalars fold into one affine kernel: x*scale + shift.
    const [scale, shift] =
      op === 'add' ? [1, b] : op === 'sub' ? [1, -b] : op === 'mul' ? [b, 0] : [1 / b, 0];
    return record(ops.unary('affine', a, scale, shift), 'affine', [a], { scale });
  }
  return record(ops.binary(op as BinaryOp, a, b), op, [a, b]);
}

/** a + b (broadcasting). */
export const add = (a: Tensor, b: Operand) => arith('add', a, b);
/** a - b (broadcasting). */
export const sub = (a: Tensor, b: Operand) => arith('sub', a, b);
/** a * b (broadcasting). */
export const mul = (a: Tensor, b: Operand) => arith('mul', a, b);
/** a / b (broadcasting). */
export const div = (a: Tensor, b: Operand) => arith('div', a, b);

function elementwise(op: UnaryOp & string, x: Tensor, alpha = 0, saved: GradNode['saved'] = {}): Tensor {
  return record(ops.unary(op, x, alpha), op, [x], saved);
}

/** -x */
export const neg = (x: Tensor) => elementwise('neg', x);
/** e^x */
export const exp = (x: Tensor) => elementwise('exp', x);
/** Natural log. */
export const log = (x: Tensor) => elementwise('log', x);
/** Square root. */
export const sqrt = (x: Tensor) => elementwise('sqrt', x);
/** max(x, 0) */
export const relu = (x: Tensor) => elementwise('relu', x);
/** x for x > 0, else slope * x. */
export const leakyRelu = (x: Tensor, slope = 0.01) => elementwise('leakyRelu', x, slope, { slope });
/** GELU with the exact (erf) form, PyTorch's default. */
export const gelu = (x: Tensor) => elementwise('gelu', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor) => elementwise('tanh', x);
/** Logistic sigmoid. */
export const sigmoid = (x: Tensor) => elementwise('sigmoid', x);
/** x ** exponent for a scalar exponent. */
export const pow = (x: Tensor, exponent: number) => elementwise('pow', x, exponent, { exponent });

/** A view with a new shape (one dim may be -1). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  return record(x.alias(shape), 'view', [x]);
}

/** Flattens dims from startDim on (default 1, like nn.Flatten). */
export function flatten(x: Tensor, startDim = 1): Tensor {
  return view(x, [...x.shape.slice(0, startDim), -1]);
}

/** Reorders dimensions (a contiguous copy). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  return record(ops.permute(x, dims), 'permute', [x], { dims: [...dims] });
}

/**
 * The view of x with `shape`, `strides` and `offset` (in elements), copied contiguous: torch's
 * as_strided(x, shape, strides, offset).contiguous() in one launch, for views whose elements are
 * distinct (refused otherwise).
 */
export function asStrided(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset = 0,
): Tensor {
  return record(ops.asStrided(x, shape, strides, offset), 'asStrided', [x], {
    strides: [...strides],
    offset,
  });
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, d0 = -2, d1 = -1): Tensor {
  const dims = [...Array(x.ndim).keys()];
  const [a, b] = [d0 < 0 ? d0 + x.ndim : d0, d1 < 0 ? d1 + x.ndim : d1];
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

function keptShape(x: Tensor, dims: number[]): number[] {
  return x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

/** Sum over dims (all by default). */
export function sum(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = ops.normDims(dims, x.ndim);
  return record(ops.reduce('sum', x, d, keepdim), 'sum', [x], { keptShape: keptShape(x, d) });
}

/** Mean over dims (all by default). */
export function mean(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = ops.normDims(dims, x.ndim);
  const count = d.reduce((n, i) => n * x.shape[i], 1);
  const scale = 1 / count;
  return record(ops.reduce('sum', x, d, keepdim, scale), 'mean', [x], { keptShape: keptShape(x, d), scale });
}

/** Maximum over dims (all by default), like torch.amax. */
export function max(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = ops.normDims(dims, x.ndim);
  return record(ops.reduce('max', x, d, keepdim), 'max', [x], { keptShape: keptShape(x, d), dims: d });
}

/** Indices of the maxima along one dim (int32; first index among ties). */
export function argmax(x: Tensor, dim = -1, keepdim = false): Tensor {
  return ops.reduce('argmax', x, dim, keepdim);
}

/** Matrix product of the last two dims (2-D or 3-D). */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  return record(ops.matmul(a, b, opts), 'matmul', [a, b], { opts });
}

/** x @ weight^T + bias in one kernel over the last dim of x [..., in], like F.linear (weight [out, in]). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor, opts: { relu?: boolean } = {}): Tensor {
  const [out, inFeatures] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new Error(
      `linear: input [${x.shape}] has ${x.shape[x.ndim - 1] ?? 0} features but the weight expects ${inFeatures} (weight [${weight.shape}])`,
    );
  }
  if (x.ndim !== 2) {
    // Viewed as [N, in] for the same fused kernel and gradient rule, and back: views copy nothing.
    const y = linear(view(x, [-1, inFeatures]), weight, bias, opts);
    return view(y, [...x.shape.slice(0, -1), out]);
  }
  const relu = opts.relu ?? false;
  return record(ops.matmul(x, weight, { transB: true, bias, relu }), relu ? 'linearRelu' : 'linear', [
    x,
    weight,
    bias,
  ]);
}

/** relu(x @ weight^T + bias) in one kernel: Linear followed by ReLU, fused. */
export function linearRelu(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return linear(x, weight, bias, { relu: true });
}

/**
 * Batch normalisation of x [N, C, ...] over every dim but 1, like torch.nn.functional.batch_norm:
 * with the batch's statistics in training (updating runningMean and runningVar in place), with the
 * running ones in eval. Two fused kernels forward and two backward; with `opts.relu`, the ReLU
 * that follows is computed in them too.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
  opts: ops.BatchNormOptions,
): Tensor {
  const stats = ops.batchNormStats(x, runningMean, runningVar, opts);
  const relu = opts.relu ?? false;
  return record(ops.batchNormApply(x, stats, weight, bias, relu), 'batchNorm', [x, weight, bias], {
    stats,
    training: opts.training,
    relu,
  });
}

/**
 * Layer normalisation over the last dim, like torch.nn.functional.layer_norm with an int
 * normalized_shape (the last dim's size): (x - mean) / sqrt(var + eps) * weight + bias, the
 * variance biased. One fused kernel forward; backward, one for the input and one for the weight
 * and bias.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor,
  bias?: Tensor,
  eps = 1e-5,
): Tensor {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (shape.length !== 1) {
    throw new Error(`layerNorm normalises over the last dim only, got normalized_shape [${shape}]`);
  }
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== shape[0]) {
    throw new Error(`layerNorm over [${shape}] got input of shape [${x.shape}]`);
  }
  const { out, stats } = ops.layerNorm(x, weight, bias, eps);
  return record(out, 'layerNorm', [x, weight, bias], { stats });
}

/**
 * Rows of weight [num_embeddings, dim] picked by int32 indices of any shape, [..., dim], like
 * torch.nn.functional.embedding. Its gradient sums into the picked rows, deterministically.
 */
export function embedding(input: Tensor, weight: Tensor): Tensor {
  return record(ops.embedding(weight, input), 'embedding', [weight], { indices: input });
}

/** log_softmax over the last dim. */
export function logSoftmax(x: Tensor): Tensor {
  return record(ops.logSoftmax(x), 'logSoftmax', [x]);
}

/** Softmax over the last dim. */
export function softmax(x: Tensor): Tensor {
  return exp(logSoftmax(x));
}

/**
 * softmax(x * scale) over the last dim of square scores [..., T, T] with a causal mask: row t
 * attends to columns 0..t, the others come out as exact zeros. One kernel forward and one
 * backward, no mask tensor.
 */
export function causalSoftmax(x: Tensor, scale = 1): Tensor {
  return record(ops.causalSoftmax(x, scale), 'causalSoftmax', [x], { scale });
}

/** Options of scaledDotProductAttention, PyTorch's names. */
export interface AttentionOptions {
  /** Mask so that query t attends to keys 0..t (square scores: as many queries as keys). */
  isCausal?: boolean;
  /** Dropout on the attention weights; the caller passes 0 in eval, as nanoGPT does. */
  dropoutP?: number;
  /** Multiplies the scores; 1/sqrt(E) by default. */
  scale?: number;
  /** The dropout mask's seed; drawn from the global generator when absent. */
  seed?: number;
  /**
   * Handed the attention weights [batch, L, S] (leading dims flattened, before dropout): what
   * PyTorch's SDPA cannot return, and what a view of the heads' patterns needs.
   */
  onWeights?: (weights: Tensor) => void;
}

/**
 * softmax(q k^T * scale) v over the last two dims, like F.scaled_dot_product_attention without
 * attn_mask: q [..., L, E], k [..., S, E], v [..., S, Ev] -> [..., L, Ev]. Leading dims are
 * flattened into one batch of matmuls. Launches forward: the scores' matmul, the softmax (one
 * causal kernel; two plus a scale without isCausal), dropout when dropoutP > 0, the output's matmul.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  opts: AttentionOptions = {},
): Tensor {
  const [L, E] = q.shape.slice(-2);
  const [S, Ev] = v.shape.slice(-2);
  const lead = q.shape.slice(0, -2);
  if (q.ndim < 2 || k.ndim !== q.ndim || v.ndim !== q.ndim || k.shape[k.ndim - 1] !== E) {
    throw new Error(
      `scaled_dot_product_attention expects q [..., L, E], k [..., S, E], v [..., S, Ev], got [${q.shape}], [${k.shape}], [${v.shape}]`,
    );
  }
  const batch = lead.reduce((a, d) => a * d, 1);
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  const scores = matmul(view(q, [batch, L, E]), view(k, [batch, S, E]), { transB: true });
  let att = opts.isCausal ? causalSoftmax(scores, scale) : softmax(mul(scores, scale));
  opts.onWeights?.(att);
  const p = opts.dropoutP ?? 0;
  if (p > 0) att = dropout(att, p, opts.seed ?? defaultGenerator.nextU32());
  return view(matmul(att, view(v, [batch, S, Ev])), [...lead, L, Ev]);
}

/** Options of the classification losses. */
export interface LossOptions {
  reduction?: 'mean' | 'sum';
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, C] and int32 labels [N], fused and numerically stable, like
 * F.cross_entropy; or of logits [..., C] (a sequence model's [B, T, C]) and labels [...], averaged
 * over every position, as PyTorch gives for logits.view(-1, C) and labels.view(-1). The classes are
 * the last dim there, not dim 1 as in PyTorch's own K-dimensional form.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, opts: LossOptions = {}): Tensor {
  if (logits.ndim > 2) {
    const lead = logits.shape.slice(0, -1);
    if (
      labels.dtype !== 'int32' ||
      labels.ndim !== lead.length ||
      lead.some((d, i) => d !== labels.shape[i])
    ) {
      throw new Error(
        `cross-entropy of logits [${logits.shape}] expects int32 labels [${lead}], got ${labels.dtype} [${labels.shape}]`,
      );
    }
    return crossEntropy(view(logits, [-1, logits.shape[logits.ndim - 1]]), labels.alias([-1]), opts);
  }
  const smoothing = opts.labelSmoothing ?? 0;
  const scale = opts.reduction === 'sum' ? 1 : 1 / logits.shape[0];
  const loss = ops.crossEntropy(logits, labels, smoothing, scale);
  return record(loss, 'crossEntropy', [logits], { labels, smoothing, scale });
}

/** One-hot float rows [N, C] from int32 labels [N]. */
export function oneHot(labels: Tensor, numClasses: number): Tensor {
  const classes = ops.tensor(
    labels.backend,
    Float32Array.from({ length: numClasses }, (_, i) => i),
    [1, numClasses],
  );
  return ops.binary('eq', ops.unary('intToFloat', labels).alias([labels.shape[0], 1]), classes);
}

/** Negative log-likelihood of log-probabilities [N, C] and int32 labels [N], like F.nll_loss. */
export function nllLoss(logProbs: Tensor, labels: Tensor, opts: LossOptions = {}): Tensor {
  const picked = sum(mul(logProbs, oneHot(labels, logProbs.shape[1])));
  return mul(picked, opts.reduction === 'sum' ? -1 : -1 / logProbs.shape[0]);
}

/** Mean (or summed) squared error, like F.mse_loss. */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: 'mean' | 'sum' } = {}): Tensor {
  const d = sub(input, target);
  const sq = mul(d, d);
  return opts.reduction === 'sum' ? sum(sq) : mean(sq);
}

/** Options of conv2d and the pooling ops (square kernels). */
export interface WindowOptions {
  stride?: number;
  padding?: number;
}

/** Options of conv2d: the window's, and a ReLU fused into the same launch. */
export interface Conv2dOptions extends WindowOptions {
  relu?: boolean;
}

/**
 * 2-D convolution: x [N, C, H, W], weight [OC, C, k, k], bias [OC]; with `relu`, the ReLU after it
 * too. One launch forward (an implicit matrix product, no unfolded copy of x), two backward.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, opts: Conv2dOptions = {}): Tensor {
  const geometry = { kernelSize: weight.shape[2], stride: opts.stride ?? 1, padding: opts.padding ?? 0 };
  const relu = opts.relu ?? false;
  const out = ops.conv2d(x, weight, bias, geometry, relu);
  return record(out, relu ? 'conv2dRelu' : 'conv2d', [x, weight, bias], { geometry });
}

/** 2-D max pooling (stride defaults to the kernel size). */
export function maxPool2d(x: Tensor, kernelSize: number, opts: WindowOptions = {}): Tensor {
  const geometry = { kernelSize, stride: opts.stride ?? kernelSize, padding: opts.padding ?? 0 };
  const { out, indices } = ops.maxPool2d(x, geometry);
  if (!(isGradEnabled() && x.requiresGrad)) indices.dispose();
  return record(out, 'maxPool2d', [x], { indices, geometry });
}

/** 2-D average pooling (stride defaults to the kernel size). */
export function avgPool2d(x: Tensor, kernelSize: number, opts: WindowOptions = {}): Tensor {
  const geometry = { kernelSize, stride: opts.stride ?? kernelSize, padding: opts.padding ?? 0 };
  return record(ops.avgPool2d(x, geometry), 'avgPool2d', [x], { geometry });
}

/** Inverted dropout with drop probability p and a seed for the mask. */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  return record(ops.dropoutMask(x, p, seed), 'dropout', [x], { p, seed });
}

/** Returns a tensor sharing storage that is cut off from the graph, like torch's detach(). */
export function detach(x: Tensor): Tensor {
  return x.alias(x.shape);
}

export { Tensor };
