/**
 * The kernel table: every kernel's WGSL family (file in shaders/), entry point, and launch grid.
 * The cpu backend implements the same names with the same buffer and param names.
 */
import type { KernelConstants, KernelParams } from './backend';

/** Shader files, one per family. */
export type ShaderFamily =
  | 'elementwise'
  | 'reduce'
  | 'matmul'
  | 'softmax'
  | 'gather'
  | 'optim'
  | 'conv'
  | 'pool'
  | 'norm';

interface KernelDef {
  family: ShaderFamily;
  entry: string;
  /** Workgroup counts (x, y, z) for these params and pipeline constants. */
  grid: (p: KernelParams, c: KernelConstants) => [number, number, number];
  /** The uniform variable's name in WGSL, when not `p`. */
  uniform?: string;
}

const MAX_GROUPS = 65535;

/** Spreads a 1-D count of workgroups over x and y, since each dimension is capped at 65535. */
function spread(groups: number): [number, number, number] {
  const g = Math.max(1, groups);
  return g <= MAX_GROUPS ? [g, 1, 1] : [MAX_GROUPS, Math.ceil(g / MAX_GROUPS), 1];
}

const num = (p: KernelParams, k: string) => p[k] as number;
/** One invocation per `perInvocation` elements, the elements counting the product of `keys`. */
const perElements =
  (keys: string[], perInvocation = 1) =>
  (p: KernelParams) =>
    spread(Math.ceil(keys.reduce((n, k) => n * num(p, k), 1) / (256 * perInvocation)));
const perElement = (key: string) => perElements([key]);
const perRow = (key: string) => (p: KernelParams) => spread(num(p, key));
/** One invocation per run of `key` consecutive elements out of `total` (a row, for conv and pooling). */
const perRun = (key: string) => (p: KernelParams) => spread(Math.ceil(num(p, 'total') / num(p, key) / 256));

/** Every kernel the engine launches. */
export const KERNELS = {
  unary: { family: 'elementwise', entry: 'unary', grid: perElement('n') },
  binary: { family: 'elementwise', entry: 'binary', grid: perElement('n') },
  fill: { family: 'elementwise', entry: 'fill', grid: perElement('n'), uniform: 'fp' },
  reduceRows: { family: 'reduce', entry: 'reduce_rows', grid: perRow('outer') },
  reduceCols: {
    family: 'reduce',
    entry: 'reduce_cols',
    grid: (p) => spread(Math.ceil((num(p, 'outer') * num(p, 'inner')) / 256)),
  },
  matmul: {
    family: 'matmul',
    entry: 'matmul',
    grid: (p) => [Math.ceil(num(p, 'N') / 64), Math.ceil(num(p, 'M') / 64), num(p, 'batch')],
  },
  matmulBig: {
    family: 'matmul',
    entry: 'matmul_big',
    grid: (p) => [Math.ceil(num(p, 'N') / 128), Math.ceil(num(p, 'M') / 128), num(p, 'batch')],
  },
  matmulDirect: {
    family: 'matmul',
    entry: 'matmul_direct',
    // One invocation per 8x8 block of the output, WG invocations per workgroup.
    grid: (p, c) => {
      const blocks = Math.ceil(num(p, 'M') / 8) * Math.ceil(num(p, 'N') / 8);
      const g = spread(Math.ceil(blocks / ((c.WG as number | undefined) ?? 64)));
      return [g[0], g[1], num(p, 'batch')];
    },
  },
  logSoftmax: { family: 'softmax', entry: 'log_softmax', grid: perRow('rows') },
  logSoftmaxBackward: { family: 'softmax', entry: 'log_softmax_backward', grid: perRow('rows') },
  crossEntropy: { family: 'softmax', entry: 'cross_entropy', grid: () => [1, 1, 1] },
  crossEntropyBackward: { family: 'softmax', entry: 'cross_entropy_backward', grid: perRow('rows') },
  gatherRows: { family: 'gather', entry: 'gather_rows', grid: perElements(['rows', 'rowSize']) },
  gatherBytes: { family: 'gather', entry: 'gather_bytes', grid: perElements(['rows', 'rowSize']) },
  gatherWords: { family: 'gather', entry: 'gather_words', grid: perElements(['rows', 'rowSize'], 4) },
  gatherLabels: { family: 'gather', entry: 'gather_labels', grid: perElement('rows') },
  // The optimizers update four elements per invocation.
  adam: { family: 'optim', entry: 'adam', uniform: 'adam_params', grid: perElements(['n'], 4) },
  sgd: { family: 'optim', entry: 'sgd', uniform: 'sgd_params', grid: perElements(['n'], 4) },
  rmsprop: { family: 'optim', entry: 'rmsprop', uniform: 'rmsprop_params', grid: perElements(['n'], 4) },
  // im2col and max pooling forward: an invocation per output row; col2im and max pooling
  // backward: one per input row.
  im2col: { family: 'conv', entry: 'im2col', grid: perRun('OW') },
  col2im: { family: 'conv', entry: 'col2im', grid: perRun('W') },
  maxPool: { family: 'pool', entry: 'max_pool', grid: perRun('OW') },
  maxPoolBackward: { family: 'pool', entry: 'max_pool_backward', grid: perRun('W') },
  avgPool: { family: 'pool', entry: 'avg_pool', grid: perElement('total') },
  avgPoolBackward: {
    family: 'pool',
    entry: 'avg_pool_backward',
    grid: perElement('total'),
  },
  // Batch norm: the per-channel kernels take a workgroup per channel.
  batchNormStats: { family: 'norm', entry: 'bn_stats', grid: perRow('C') },
  // Batch norm's elementwise kernels take eight elements per invocation.
  batchNormApply: { family: 'norm', entry: 'bn_apply', grid: perElements(['N', 'C', 'S'], 8) },
  batchNormBackwardSums: { family: 'norm', entry: 'bn_backward_sums', grid: perRow('C') },
  batchNormBackward: { family: 'norm', entry: 'bn_backward', grid: perElements(['N', 'C', 'S'], 8) },
} satisfies Record<string, KernelDef>;

/** A kernel's name. */
export type KernelName = keyof typeof KERNELS;

/** Codes of the `unary` kernel's OP constant (shaders/elementwise.wgsl). */
export const UNARY = {
  copy: 0,
  neg: 1,
  exp: 2,
  log: 3,
  sqrt: 4,
  relu: 5,
  leakyRelu: 6,
  tanh: 7,
  sigmoid: 8,
  gelu: 9,
  pow: 10,
  affine: 11,
  abs: 12,
  sign: 13,
  clamp: 14,
  intToFloat: 15,
  dropout: 16,
} as const;

/** Codes of the `binary` kernel's OP constant (shaders/elementwise.wgsl). */
export const BINARY = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  pow: 6,
  reluGrad: 7,
  leakyReluGrad: 8,
  tanhGrad: 9,
  sigmoidGrad: 10,
  geluGrad: 11,
  eq: 12,
  gt: 13,
} as const;

/** Codes of the reduce kernels' OP constant (shaders/reduce.wgsl). */
export const REDUCE = { sum: 0, max: 1, argmax: 2, sumSquares: 3 } as const;

/** Unary op names. */
export type UnaryOp = keyof typeof UNARY;
/** Binary op names. */
export type BinaryOp = keyof typeof BINARY;
/** Reduction names. */
export type ReduceOp = keyof typeof REDUCE;
