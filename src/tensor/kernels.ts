/**
 * The kernel table: every kernel's WGSL family (file in shaders/), entry point, params and launch
 * grid; and the sizes and op codes that the WGSL shares with TypeScript, defined here once and
 * prepended to every shader family as WGSL constants (shaders.ts). Each kernel's params are
 * declared once here, which types `Backend.run`; a test checks them against the WGSL uniform
 * structs. The cpu backend implements the same names with the same buffer and param names.
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
  | 'pool'
  | 'norm'
  | 'histogram';

/** Sizes that the WGSL kernels and their launch grids share: WGSL constants of the same names. */
export const SIZES = {
  /** Invocations per workgroup of the kernels that take an invocation per element or row. */
  WORKGROUP_SIZE: 256,
  /** Rows and columns of the output tile of a `matmul` workgroup. */
  TILE: 64,
  /** Rows and columns of the output tile of a `matmulBig` workgroup. */
  BIG_TILE: 128,
  /** Rows and columns of the output block of a `matmulDirect` invocation. */
  BLOCK: 8,
  /** Elements per invocation of batch norm's elementwise kernels. */
  CHUNK: 8,
  /** Most workgroups one histogram pass takes: its slot holds a partial sum per workgroup. */
  HIST_GROUPS: 32,
} as const;

/** Codes of the `unary` kernel's OP constant: WGSL constants UNARY_COPY, UNARY_NEG, ... */
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

/** Codes of the `binary` kernel's OP constant: WGSL constants BINARY_ADD, BINARY_SUB, ... */
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

/** Codes of the reduce kernels' OP constant: WGSL constants REDUCE_SUM, REDUCE_MAX, ... */
export const REDUCE = { sum: 0, max: 1, argmax: 2, sumSquares: 3 } as const;

/** The float whose histogram.wgsl order key is k (the key of the float's bits, kept monotonic). */
export function fromOrderKey(k: number): number {
  const bits = new Uint32Array([k & 0x80000000 ? k & 0x7fffffff : ~k]);
  return new Float32Array(bits.buffer)[0];
}

/** Unary op names. */
export type UnaryOp = keyof typeof UNARY;
/** Binary op names. */
export type BinaryOp = keyof typeof BINARY;
/** Reduction names. */
export type ReduceOp = keyof typeof REDUCE;

/**
 * How a param reaches its kernel: `num`, a scalar field of the WGSL uniform struct (u32, i32 or
 * f32); `nums`, an array<vec4u, N> field, given as numbers; `grid`, read by the launch grid only.
 */
export type ParamKind = 'num' | 'nums' | 'grid';

/** A kernel's params, by name. */
export type ParamDecl = Readonly<Record<string, ParamKind>>;

/** Values for declared params. */
export type ParamValues<D extends ParamDecl> = {
  [F in keyof D]: D[F] extends 'nums' ? number[] : number;
};

interface KernelDef {
  family: ShaderFamily;
  entry: string;
  /** Every field of its WGSL uniform struct, and what else its grid reads. */
  params: ParamDecl;
  /** Workgroup counts (x, y, z) for these params and pipeline constants. */
  grid: (p: KernelParams, c: KernelConstants) => [number, number, number];
  /** The uniform variable's name in WGSL, when not `p`. */
  uniform?: string;
}

const MAX_GROUPS = 65535;
const { WORKGROUP_SIZE, TILE, BIG_TILE, BLOCK, CHUNK, HIST_GROUPS } = SIZES;

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
    spread(Math.ceil(keys.reduce((n, k) => n * num(p, k), 1) / (WORKGROUP_SIZE * perInvocation)));
const perElement = (key: string) => perElements([key]);
const perRow = (key: string) => (p: KernelParams) => spread(num(p, key));
/** One invocation per run of `key` consecutive elements out of `total` (a row, for pooling). */
const perRun = (key: string) => (p: KernelParams) =>
  spread(Math.ceil(num(p, 'total') / num(p, key) / WORKGROUP_SIZE));
/** Batch norm's elementwise kernels: an invocation per CHUNK elements of x [N, C, S]. */
const perChunk = perElements(['N', 'C', 'S'], CHUNK);
/** A workgroup per `tile` x `tile` block of each product's output. */
const perTile =
  (tile: number) =>
  (p: KernelParams): [number, number, number] => [
    Math.ceil(num(p, 'N') / tile),
    Math.ceil(num(p, 'M') / tile),
    num(p, 'batch'),
  ];

/** One invocation per BLOCK x BLOCK block of each product's output, WG invocations per workgroup. */
const perBlock = (p: KernelParams, c: KernelConstants): [number, number, number] => {
  const blocks = Math.ceil(num(p, 'M') / BLOCK) * Math.ceil(num(p, 'N') / BLOCK);
  const g = spread(Math.ceil(blocks / ((c.WG as number | undefined) ?? 64)));
  return [g[0], g[1], num(p, 'batch')];
};

// The params of each WGSL uniform struct.
const ELEMENTWISE = {
  n: 'num',
  rank: 'num',
  alpha: 'num',
  beta: 'num',
  shape: 'nums',
  strideA: 'nums',
  strideB: 'nums',
  offsetA: 'num',
  offsetB: 'num',
  seed: 'num',
} as const;
const FILL = { n: 'num', value: 'num' } as const;
const REDUCTION = { outer: 'num', size: 'num', inner: 'num', scale: 'num' } as const;
// The number of products is the grid's z: the struct has no field for it.
const MATMUL = {
  M: 'num',
  N: 'num',
  K: 'num',
  batch: 'grid',
  strideA: 'num',
  strideB: 'num',
  offsetA: 'num',
  offsetB: 'num',
} as const;
const SOFTMAX = { rows: 'num', cols: 'num', smoothing: 'num', scale: 'num' } as const;
const GATHER = { rows: 'num', rowSize: 'num', indexOffset: 'num', mean: 'num', stdev: 'num' } as const;
/** count indices into a table of rows x dim. */
const EMBEDDING = { count: 'num', rows: 'num', dim: 'num' } as const;
const ADAM = {
  n: 'num',
  lr: 'num',
  weightDecay: 'num',
  beta1: 'num',
  beta2: 'num',
  eps: 'num',
  stepSize: 'num',
  biasCorrection2Sqrt: 'num',
} as const;
const SGD = {
  n: 'num',
  lr: 'num',
  weightDecay: 'num',
  momentum: 'num',
  dampening: 'num',
  nesterov: 'num',
  firstStep: 'num',
} as const;
const RMSPROP = {
  n: 'num',
  lr: 'num',
  weightDecay: 'num',
  alpha: 'num',
  eps: 'num',
  momentum: 'num',
} as const;
/**
 * The implicit-GEMM convolution's product (M x K @ K x N, `batch` images, see CONV_MODE in
 * matmul.wgsl) and its window: input [C, H, W], OC output channels, a KH x KW window, output [OH, OW].
 */
const CONV_GEMM = {
  M: 'num',
  N: 'num',
  K: 'num',
  batch: 'grid',
  C: 'num',
  H: 'num',
  W: 'num',
  OC: 'num',
  KH: 'num',
  KW: 'num',
  OH: 'num',
  OW: 'num',
  stride: 'num',
  pad: 'num',
} as const;
const POOL = {
  total: 'num',
  H: 'num',
  W: 'num',
  OH: 'num',
  OW: 'num',
  K: 'num',
  stride: 'num',
  pad: 'num',
} as const;
const HISTOGRAM = { n: 'num', bins: 'num', lo: 'num', hi: 'num', slot: 'num' } as const;
/** A histogram pass strides over its tensor with up to HIST_GROUPS workgroups. */
const perHistogram = (p: KernelParams): [number, number, number] => [
  Math.max(1, Math.min(HIST_GROUPS, Math.ceil(num(p, 'n') / WORKGROUP_SIZE))),
  1,
  1,
];
const NORM = { N: 'num', C: 'num', S: 'num', eps: 'num', momentum: 'num', momentumVar: 'num' } as const;
const LAYER_NORM = { rows: 'num', cols: 'num', eps: 'num' } as const;

/** Every kernel the engine launches. */
export const KERNELS = {
  unary: { family: 'elementwise', entry: 'unary', params: ELEMENTWISE, grid: perElement('n') },
  binary: { family: 'elementwise', entry: 'binary', params: ELEMENTWISE, grid: perElement('n') },
  fill: { family: 'elementwise', entry: 'fill', params: FILL, grid: perElement('n'), uniform: 'fp' },
  reduceRows: { family: 'reduce', entry: 'reduce_rows', params: REDUCTION, grid: perRow('outer') },
  reduceCols: {
    family: 'reduce',
    entry: 'reduce_cols',
    params: REDUCTION,
    grid: perElements(['outer', 'inner']),
  },
  matmul: { family: 'matmul', entry: 'matmul', params: MATMUL, grid: perTile(TILE) },
  matmulBig: { family: 'matmul', entry: 'matmul_big', params: MATMUL, grid: perTile(BIG_TILE) },
  matmulDirect: { family: 'matmul', entry: 'matmul_direct', params: MATMUL, grid: perBlock },
  // Conv2d forward, input gradient and weight gradient (CONV_MODE) as implicit matrix products.
  convGemm: { family: 'matmul', entry: 'conv_gemm', params: CONV_GEMM, uniform: 'cp', grid: perBlock },
  logSoftmax: { family: 'softmax', entry: 'log_softmax', params: SOFTMAX, grid: perRow('rows') },
  logSoftmaxBackward: {
    family: 'softmax',
    entry: 'log_softmax_backward',
    params: SOFTMAX,
    grid: perRow('rows'),
  },
  // Attention's scale + causal mask + softmax over [BH * T, T], and its gradient: a workgroup per row.
  causalSoftmax: { family: 'softmax', entry: 'causal_softmax', params: SOFTMAX, grid: perRow('rows') },
  causalSoftmaxBackward: {
    family: 'softmax',
    entry: 'causal_softmax_backward',
    params: SOFTMAX,
    grid: perRow('rows'),
  },
  crossEntropy: { family: 'softmax', entry: 'cross_entropy', params: SOFTMAX, grid: () => [1, 1, 1] },
  crossEntropyBackward: {
    family: 'softmax',
    entry: 'cross_entropy_backward',
    params: SOFTMAX,
    grid: perRow('rows'),
  },
  gatherRows: {
    family: 'gather',
    entry: 'gather_rows',
    params: GATHER,
    grid: perElements(['rows', 'rowSize']),
  },
  gatherBytes: {
    family: 'gather',
    entry: 'gather_bytes',
    params: GATHER,
    grid: perElements(['rows', 'rowSize']),
  },
  gatherWords: {
    family: 'gather',
    entry: 'gather_words',
    params: GATHER,
    grid: perElements(['rows', 'rowSize'], 4),
  },
  gatherLabels: { family: 'gather', entry: 'gather_labels', params: GATHER, grid: perElement('rows') },
  // Embedding: an invocation per output element; backward, a workgroup per row of the table.
  embedding: {
    family: 'gather',
    entry: 'embedding',
    params: EMBEDDING,
    uniform: 'emb_params',
    grid: perElements(['count', 'dim']),
  },
  embeddingBackward: {
    family: 'gather',
    entry: 'embedding_backward',
    params: EMBEDDING,
    uniform: 'emb_params',
    grid: perRow('rows'),
  },
  // The optimizers update four elements per invocation.
  adam: { family: 'optim', entry: 'adam', params: ADAM, uniform: 'adam_params', grid: perElements(['n'], 4) },
  sgd: { family: 'optim', entry: 'sgd', params: SGD, uniform: 'sgd_params', grid: perElements(['n'], 4) },
  rmsprop: {
    family: 'optim',
    entry: 'rmsprop',
    params: RMSPROP,
    uniform: 'rmsprop_params',
    grid: perElements(['n'], 4),
  },
  // Max pooling forward: an invocation per output row; backward: one per input row.
  maxPool: { family: 'pool', entry: 'max_pool', params: POOL, grid: perRun('OW') },
  maxPoolBackward: { family: 'pool', entry: 'max_pool_backward', params: POOL, grid: perRun('W') },
  avgPool: { family: 'pool', entry: 'avg_pool', params: POOL, grid: perElement('total') },
  avgPoolBackward: { family: 'pool', entry: 'avg_pool_backward', params: POOL, grid: perElement('total') },
  // Batch norm: the per-channel kernels take a workgroup per channel.
  batchNormStats: { family: 'norm', entry: 'bn_stats', params: NORM, grid: perRow('C') },
  batchNormApply: { family: 'norm', entry: 'bn_apply', params: NORM, grid: perChunk },
  batchNormBackwardSums: { family: 'norm', entry: 'bn_backward_sums', params: NORM, grid: perRow('C') },
  batchNormBackward: { family: 'norm', entry: 'bn_backward', params: NORM, grid: perChunk },
  // Layer norm: the forward and input-gradient kernels take a workgroup per row, the weight and
  // bias gradients one per column.
  layerNorm: {
    family: 'norm',
    entry: 'ln_forward',
    params: LAYER_NORM,
    uniform: 'ln_params',
    grid: perRow('rows'),
  },
  layerNormBackward: {
    family: 'norm',
    entry: 'ln_backward',
    params: LAYER_NORM,
    uniform: 'ln_params',
    grid: perRow('rows'),
  },
  layerNormBackwardParams: {
    family: 'norm',
    entry: 'ln_backward_params',
    params: LAYER_NORM,
    uniform: 'ln_params',
    grid: perRow('cols'),
  },
  histogramRange: { family: 'histogram', entry: 'hist_range', params: HISTOGRAM, grid: perHistogram },
  histogramCount: { family: 'histogram', entry: 'hist_count', params: HISTOGRAM, grid: perHistogram },
} satisfies Record<string, KernelDef>;

/** A kernel's name. */
export type KernelName = keyof typeof KERNELS;

/** The params kernel K takes: a number (or numbers) per field of its uniform struct, and the grid's. */
export type ParamsOf<K extends KernelName> = ParamValues<(typeof KERNELS)[K]['params']>;
