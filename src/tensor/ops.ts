/**
 * The raw op set: each function checks shapes, allocates its output and queues one or a few
 * kernels. Nothing here records gradients; autograd/ wraps these ops with their gradient rules.
 */
import type { Backend, DType, Storage } from './backend';
import {
  BINARY,
  type BinaryOp,
  fromOrderKey,
  type ParamsOf,
  REDUCE,
  type ReduceOp,
  SIZES,
  UNARY,
  type UnaryOp,
} from './kernels';
import { numel, Tensor, type TypedArray } from './tensor';

const MAX_RANK = 8;

/** An uninitialised tensor. */
export function empty(backend: Backend, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return new Tensor(backend, backend.alloc(Math.max(1, numel(shape)) * 4), [...shape], dtype);
}

/**
 * `out` when given, checked to hold `shape`'s elements (a leaf's zeroed .grad, which a gradient
 * rule writes into directly); otherwise a new tensor.
 */
function target(backend: Backend, shape: readonly number[], out?: Tensor): Tensor {
  if (!out) return empty(backend, shape);
  if (out.size !== numel(shape) || out.dtype !== 'float32' || out.backend !== backend) {
    throw new Error(`an output of [${out.shape}] ${out.dtype} for a result of [${shape}] float32`);
  }
  return out;
}

/** A tensor holding a copy of host data. */
export function tensor(
  backend: Backend,
  data: ArrayLike<number>,
  shape?: readonly number[],
  dtype?: DType,
): Tensor {
  const dt = dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  const arr: TypedArray = dt === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
  const s = shape ?? [arr.length];
  if (numel(s) !== arr.length) throw new Error(`${arr.length} values do not fill shape [${s}]`);
  const t = empty(backend, s, dt);
  backend.write(t.storage, arr);
  return t;
}

/** A tensor of raw bytes (uint8 pixels or labels), packed four to a 32-bit word. */
export function bytes(backend: Backend, data: Uint8Array): Tensor {
  const t = new Tensor(backend, backend.alloc(Math.max(4, data.byteLength)), [data.byteLength], 'int32');
  backend.write(t.storage, data);
  return t;
}

/** A float32 tensor filled with one value. */
export function full(backend: Backend, shape: readonly number[], value: number): Tensor {
  const t = empty(backend, shape);
  backend.run({ kernel: 'fill', buffers: { dst: t.storage }, params: { n: t.size, value } });
  return t;
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** The broadcast shape of two shapes (numpy/PyTorch rules), or an error naming both. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new Error(`shapes [${a}] and [${b}] cannot be broadcast together`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides that read a tensor of `shape` as if it had `target` shape (0 along broadcast dims). */
function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const strides = contiguousStrides(shape);
  const off = target.length - shape.length;
  return target.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : strides[i - off]));
}

/** Packs up to 8 dims into the uniform's array<vec4u, 2>. */
function pack(v: readonly number[]): number[] {
  if (v.length > MAX_RANK) throw new Error(`tensors of more than ${MAX_RANK} dimensions are not supported`);
  const out = new Array<number>(MAX_RANK).fill(0);
  v.forEach((x, i) => {
    out[i] = x;
  });
  return out;
}

function sameBackend(...ts: Tensor[]): Backend {
  for (const t of ts) t.assertAlive();
  const b = ts[0].backend;
  if (ts.some((t) => t.backend !== b)) throw new Error('tensors are on different backends');
  return b;
}

/** Reads `x` through strides into a new contiguous tensor of `shape`, applying a unary op. */
function strided(
  op: UnaryOp,
  x: Tensor,
  shape: readonly number[],
  strides: number[],
  extra: Partial<ParamsOf<'unary'>> = {},
  into?: Tensor,
): Tensor {
  const out = into
    ? target(x.backend, shape, into)
    : empty(x.backend, shape, op === 'copy' ? x.dtype : 'float32');
  const contiguous = strides.every((s, i) => s === contiguousStrides(shape)[i]);
  x.backend.run({
    kernel: 'unary',
    buffers: { a: x.storage, out: out.storage },
    params: {
      n: out.size,
      rank: shape.length,
      alpha: 0,
      beta: 0,
      seed: 0,
      shape: pack(shape),
      strideA: pack(strides),
      strideB: pack([]),
      offsetA: 0,
      offsetB: 0,
      ...extra,
    },
    constants: { OP: UNARY[op], CONTIGUOUS: contiguous },
    dynamic: extra.seed !== undefined,
  });
  return out;
}

/** Copies float32 src's values into dst (same number of elements), like torch's dst.copy_(src). */
export function copyInto(dst: Tensor, src: Tensor): void {
  sameBackend(dst, src);
  strided('copy', src, src.shape, contiguousStrides(src.shape), {}, dst);
}

/** A contiguous copy (same dtype), like torch's clone(). */
export function clone(x: Tensor): Tensor {
  sameBackend(x);
  return strided('copy', x, x.shape, contiguousStrides(x.shape));
}

/** out = op(x), elementwise. `alpha`/`beta` are the op's scalars (slope, exponent, scale/shift, bounds). */
export function unary(op: UnaryOp, x: Tensor, alpha = 0, beta = 0): Tensor {
  sameBackend(x);
  return strided(op, x, x.shape, contiguousStrides(x.shape), { alpha, beta });
}

/** Inverted dropout with a counter-based mask: the same seed gives the same mask (forward and backward). */
export function dropoutMask(x: Tensor, p: number, seed: number): Tensor {
  sameBackend(x);
  return strided('dropout', x, x.shape, contiguousStrides(x.shape), { alpha: p, seed: seed >>> 0 });
}

/** out = op(a, b), elementwise with broadcasting. */
export function binary(op: BinaryOp, a: Tensor, b: Tensor, alpha = 0): Tensor {
  const backend = sameBackend(a, b);
  const shape = broadcastShapes(a.shape, b.shape);
  const out = empty(backend, shape);
  const [sa, sb] = [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)];
  const dense = contiguousStrides(shape);
  const contiguous = sa.every((s, i) => s === dense[i]) && sb.every((s, i) => s === dense[i]);
  backend.run({
    kernel: 'binary',
    buffers: { a: a.storage, b: b.storage, out: out.storage },
    params: {
      n: out.size,
      rank: shape.length,
      alpha,
      beta: 0,
      seed: 0,
      shape: pack(shape),
      strideA: pack(sa),
      strideB: pack(sb),
      offsetA: 0,
      offsetB: 0,
    },
    constants: { OP: BINARY[op], CONTIGUOUS: contiguous },
  });
  return out;
}

/** A contiguous copy with dimensions reordered, like torch.permute(...).contiguous(). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  sameBackend(x);
  if (dims.length !== x.ndim || [...dims].sort().some((d, i) => d !== i)) {
    throw new Error(`permute dims [${dims}] do not match a tensor of ${x.ndim} dimensions`);
  }
  const src = contiguousStrides(x.shape);
  return strided(
    'copy',
    x,
    dims.map((d) => x.shape[d]),
    dims.map((d) => src[d]),
  );
}

/**
 * Refuses a view of `x` (shape, strides, offset in elements) that reads past x's elements or reads
 * any element twice: asStrided's gradient is a plain scatter, right only for distinct elements.
 */
function checkView(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): void {
  const what = `as_strided [${shape}] with strides [${strides}] and offset ${offset} of a tensor of ${x.size} elements`;
  if (shape.length !== strides.length || !Number.isInteger(offset) || offset < 0)
    throw new Error(`${what}: one stride per dim and a whole offset >= 0 are needed`);
  if (numel(shape) === 0) return;
  const last = shape.reduce((at, d, i) => at + (d - 1) * strides[i], offset);
  if (strides.some((st) => st < 0) || last >= x.size) throw new Error(`${what} reads outside it`);
  // Sufficient for distinct elements: each dim, by increasing stride, steps past the span of the ones before.
  const dims = shape.map((d, i) => [d, strides[i]]).filter(([d]) => d > 1);
  dims.sort((a, b) => a[1] - b[1]);
  let span = 1;
  for (const [d, st] of dims) {
    if (st < span) throw new Error(`${what} reads some elements twice, which is not supported`);
    span = st * d;
  }
}

/**
 * A contiguous copy of the view of x with `shape`, `strides` and `offset` (in elements), like
 * torch.as_strided(x, shape, strides, offset).contiguous(): one launch. The view's elements are
 * distinct (see checkView). Attention reads q, k and v out of the fused projection this way.
 */
export function asStrided(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Tensor {
  sameBackend(x);
  checkView(x, shape, strides, offset);
  return strided('copy', x, shape, [...strides], { offsetA: offset });
}

/**
 * asStrided's gradient: zeros of `inputShape` with g (the view's shape) written through the view.
 * Two launches, a fill and a scatter.
 */
export function asStridedBackward(
  g: Tensor,
  inputShape: readonly number[],
  strides: readonly number[],
  offset: number,
): Tensor {
  const backend = sameBackend(g);
  const out = full(backend, inputShape, 0);
  checkView(out, g.shape, strides, offset);
  backend.run({
    kernel: 'unary',
    buffers: { a: g.storage, out: out.storage },
    params: {
      n: g.size,
      rank: g.ndim,
      alpha: 0,
      beta: 0,
      seed: 0,
      shape: pack(g.shape),
      strideA: pack(contiguousStrides(g.shape)),
      strideB: pack(strides),
      offsetA: 0,
      offsetB: offset,
    },
    constants: { OP: UNARY.copy, CONTIGUOUS: true, SCATTER: true },
  });
  return out;
}

/** A contiguous copy expanded to `shape` (broadcasting), like torch.expand(...).contiguous(). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  sameBackend(x);
  broadcastShapes(x.shape, shape);
  return strided('copy', x, shape, broadcastStrides(x.shape, shape));
}

/** Normalises negative dims and checks range. */
export function normDims(dims: number | readonly number[] | undefined, ndim: number): number[] {
  const list = dims === undefined ? [...Array(ndim).keys()] : typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => (d < 0 ? d + ndim : d));
  for (const d of out)
    if (d < 0 || d >= Math.max(ndim, 1)) throw new Error(`dim ${d} out of range for ${ndim} dimensions`);
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Rows of at most this many elements (logits of a few classes) take a thread each: a workgroup's
 * barriers cost more than its parallelism gains (on SwiftShader, 70,000 rows of 3 took two
 * minutes to sum with a workgroup per row, 30 ms with a thread per row).
 */
const NARROW_ROW = 32;

/**
 * Reduces over `dims` (all by default). `scale` multiplies sums (1/n makes a mean). Adjacent
 * dims reduce in one kernel; scattered ones are first permuted to the end.
 */
export function reduce(
  op: ReduceOp,
  x: Tensor,
  dims?: number | readonly number[],
  keepdim = false,
  scale = 1,
  into?: Tensor,
): Tensor {
  const backend = sameBackend(x);
  const d = normDims(dims, x.ndim);
  const outShape = x.shape.flatMap((s, i) => (d.includes(i) ? (keepdim ? [1] : []) : [s]));
  const adjacent = d.length === 0 || d[d.length - 1] - d[0] === d.length - 1;
  let src = x;
  let outer: number;
  let size: number;
  let inner: number;
  if (adjacent && d.length > 0) {
    outer = numel(x.shape.slice(0, d[0]));
    size = numel(d.map((i) => x.shape[i]));
    inner = numel(x.shape.slice(d[d.length - 1] + 1));
  } else {
    const keep = [...Array(x.ndim).keys()].filter((i) => !d.includes(i));
    src = permute(x, [...keep, ...d]);
    outer = numel(keep.map((i) => x.shape[i]));
    size = numel(d.map((i) => x.shape[i]));
    inner = 1;
  }
  const out = op === 'argmax' ? empty(backend, outShape, 'int32') : target(backend, outShape, into);
  backend.run({
    // A workgroup per row for long rows; a thread per output otherwise, narrow rows included.
    kernel: inner === 1 && size > NARROW_ROW ? 'reduceRows' : 'reduceCols',
    buffers: { x: src.storage, out: out.storage },
    params: { outer, size, inner, scale },
    constants: { OP: REDUCE[op] },
  });
  if (src !== x) src.dispose();
  return out;
}

const unusedInputs = new WeakMap<Backend, Storage>();
const unusedOutputs = new WeakMap<Backend, Storage>();

/** The backend's 4-byte stand-in buffer kept in `cache`, made on first use and never freed. */
function standIn(cache: WeakMap<Backend, Storage>, backend: Backend): Storage {
  let s = cache.get(backend);
  if (!s) {
    s = backend.alloc(4);
    s.refs = 1;
    cache.set(backend, s);
  }
  return s;
}

/** A 4-byte buffer bound where a kernel's optional input is absent (WGSL needs every binding). */
export function unusedBinding(backend: Backend): Storage {
  return standIn(unusedInputs, backend);
}

/**
 * The same for an optional output, never written: a buffer of its own, since one launch may not
 * bind a buffer both read-only and writable, nor twice writable over the same bytes.
 */
export function unusedOutput(backend: Backend): Storage {
  return standIn(unusedOutputs, backend);
}

/** Options of matmul's fused forms. */
export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** Added to every row (length N). */
  bias?: Tensor;
  relu?: boolean;
  /** Where to write the product (see target()); a new tensor when absent. */
  out?: Tensor;
  /**
   * Also writes the sums of op(A)'s rows (over k) here, [M] (2-D products only): Linear's bias
   * gradient, from the launch that computes its weight gradient.
   */
  rowSums?: Tensor;
}

/**
 * Matrix product of the last two dims: [.., M, K] @ [.., K, N] -> [.., M, N] (with transA the
 * first is stored [.., K, M]; with transB the second [.., N, K]). A 2-D operand is shared by every
 * batch of a 3-D one.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const backend = sameBackend(a, b, ...(opts.bias ? [opts.bias] : []));
  if (a.ndim < 2 || b.ndim < 2 || a.ndim > 3 || b.ndim > 3) {
    throw new Error(`matmul needs 2-D or 3-D operands, got [${a.shape}] and [${b.shape}]`);
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [M, K] = opts.transA ? [ac, ar] : [ar, ac];
  const [K2, N] = opts.transB ? [bc, br] : [br, bc];
  if (K !== K2)
    throw new Error(
      `matmul shapes [${a.shape}]${opts.transA ? 'ᵀ' : ''} and [${b.shape}]${opts.transB ? 'ᵀ' : ''} do not match (${K} vs ${K2})`,
    );
  const ba = a.ndim === 3 ? a.shape[0] : 1;
  const bb = b.ndim === 3 ? b.shape[0] : 1;
  if (ba !== bb && ba !== 1 && bb !== 1) throw new Error(`matmul batch sizes ${ba} and ${bb} differ`);
  const batch = Math.max(ba, bb);
  if (opts.bias && (opts.bias.ndim !== 1 || opts.bias.shape[0] !== N))
    throw new Error(`bias of shape [${opts.bias.shape}] does not match ${N} columns`);
  const batched = a.ndim === 3 || b.ndim === 3;
  if (opts.rowSums && (batched || opts.rowSums.size !== M)) {
    throw new Error(
      `row sums of [${opts.rowSums.shape}] for a ${batched ? 'batched ' : ''}product of ${M} rows`,
    );
  }
  const out = target(backend, batched ? [batch, M, N] : [M, N], opts.out);
  backend.run({
    kernel: 'matmul',
    buffers: {
      a: a.storage,
      b: b.storage,
      bias: opts.bias?.storage ?? unusedBinding(backend),
      out: out.storage,
      sums: opts.rowSums?.storage ?? unusedOutput(backend),
    },
    params: {
      M,
      N,
      K,
      batch,
      strideA: ba === 1 ? 0 : M * K,
      strideB: bb === 1 ? 0 : K * N,
      offsetA: 0,
      offsetB: 0,
    },
    constants: {
      TRANS_A: !!opts.transA,
      TRANS_B: !!opts.transB,
      HAS_BIAS: !!opts.bias,
      RELU: !!opts.relu,
      ROW_SUMS: !!opts.rowSums,
    },
  });
  return out;
}

/** Threads per row for the softmax family: one for narrow rows (no barriers), else a workgroup of 64. */
function rowThreads(cols: number): { WG: number } {
  return { WG: cols <= NARROW_ROW ? 1 : 64 };
}

function rowsCols(x: Tensor): [number, number] {
  const cols = x.shape[x.ndim - 1];
  return [x.size / cols, cols];
}

/** log_softmax over the last dim. */
export function logSoftmax(x: Tensor): Tensor {
  const backend = sameBackend(x);
  const [rows, cols] = rowsCols(x);
  const out = empty(backend, x.shape);
  backend.run({
    kernel: 'logSoftmax',
    buffers: { x: x.storage, out: out.storage },
    params: { rows, cols, smoothing: 0, scale: 1 },
    constants: rowThreads(cols),
  });
  return out;
}

/** Gradient of log_softmax given its output y and the upstream gradient g. */
export function logSoftmaxBackward(y: Tensor, g: Tensor): Tensor {
  const backend = sameBackend(y, g);
  const [rows, cols] = rowsCols(y);
  const out = empty(backend, y.shape);
  backend.run({
    kernel: 'logSoftmaxBackward',
    buffers: { x: y.storage, g: g.storage, out: out.storage },
    params: { rows, cols, smoothing: 0, scale: 1 },
    constants: rowThreads(cols),
  });
  return out;
}

/** [..., T, T] as the causal softmax kernels see it: rows and cols, or an error naming the shape. */
function causalRows(x: Tensor): [number, number] {
  const T = x.shape[x.ndim - 1];
  if (x.ndim < 2 || x.shape[x.ndim - 2] !== T)
    throw new Error(`causal softmax expects square scores [..., T, T], got [${x.shape}]`);
  return rowsCols(x);
}

/**
 * softmax(x * scale) over the last dim of square scores [..., T, T], row t over columns 0..t
 * only: the rest are exact zeros (is_causal attention). One launch, no mask tensor.
 */
export function causalSoftmax(x: Tensor, scale = 1): Tensor {
  const backend = sameBackend(x);
  const [rows, cols] = causalRows(x);
  const out = empty(backend, x.shape);
  backend.run({
    kernel: 'causalSoftmax',
    buffers: { x: x.storage, out: out.storage },
    params: { rows, cols, smoothing: 0, scale },
    constants: rowThreads(cols),
  });
  return out;
}

/** Gradient of causalSoftmax(x, scale) with respect to x, given its output y and upstream g. */
export function causalSoftmaxBackward(y: Tensor, g: Tensor, scale = 1): Tensor {
  const backend = sameBackend(y, g);
  const [rows, cols] = causalRows(y);
  const out = empty(backend, y.shape);
  backend.run({
    kernel: 'causalSoftmaxBackward',
    buffers: { x: y.storage, g: g.storage, out: out.storage },
    params: { rows, cols, smoothing: 0, scale },
    constants: rowThreads(cols),
  });
  return out;
}

function checkLabels(logits: Tensor, labels: Tensor): [number, number] {
  if (logits.ndim !== 2) throw new Error(`cross-entropy expects logits [N, C], got [${logits.shape}]`);
  if (labels.dtype !== 'int32' || labels.ndim !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(
      `cross-entropy expects int32 labels [${logits.shape[0]}], got ${labels.dtype} [${labels.shape}]`,
    );
  }
  return [logits.shape[0], logits.shape[1]];
}

/**
 * `scale` times the summed cross-entropy of logits [N, C] against integer labels [N], with label
 * smoothing: the mean loss with scale 1/N, the sum with 1. A scalar.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, smoothing = 0, scale = 1): Tensor {
  const backend = sameBackend(logits, labels);
  const [rows, cols] = checkLabels(logits, labels);
  const out = empty(backend, []);
  backend.run({
    kernel: 'crossEntropy',
    buffers: { x: logits.storage, labels: labels.storage, out: out.storage },
    params: { rows, cols, smoothing, scale },
    constants: { WG: 64 },
  });
  return out;
}

/** d(mean cross-entropy)/d(logits) times the scalar tensor g (the upstream gradient) and `scale`. */
export function crossEntropyBackward(
  logits: Tensor,
  labels: Tensor,
  g: Tensor,
  smoothing = 0,
  scale = 1,
): Tensor {
  const backend = sameBackend(logits, labels, g);
  const [rows, cols] = checkLabels(logits, labels);
  const out = empty(backend, logits.shape);
  backend.run({
    kernel: 'crossEntropyBackward',
    buffers: { x: logits.storage, labels: labels.storage, g: g.storage, out: out.storage },
    params: { rows, cols, smoothing, scale },
    constants: rowThreads(cols),
  });
  return out;
}

/** Rows of a [R, ...] tensor picked by `count` int32 indices starting at `offset` in `index`. */
export function gatherRows(src: Tensor, index: Tensor, offset: number, count: number): Tensor {
  const backend = sameBackend(src, index);
  const rowSize = numel(src.shape.slice(1));
  const out = empty(backend, [count, ...src.shape.slice(1)], src.dtype);
  backend.run({
    kernel: 'gatherRows',
    buffers: { src: src.storage, index: index.storage, out: out.storage },
    params: { rows: count, rowSize, indexOffset: offset, mean: 0, stdev: 1 },
  });
  return out;
}

/** The embedding kernels' params, checking an int32 index tensor and a [rows, dim] table. */
function embeddingParams(indices: Tensor, rows: number, dim: number): ParamsOf<'embedding'> {
  if (indices.dtype !== 'int32') throw new Error(`embedding expects int32 indices, got ${indices.dtype}`);
  return { count: indices.size, rows, dim };
}

/**
 * Rows of weight [rows, dim] picked by int32 indices of any shape: [...indices.shape, dim]. An
 * index out of range throws on the cpu backend and reads as zeros on the GPU (gather.wgsl).
 */
export function embedding(weight: Tensor, indices: Tensor): Tensor {
  const backend = sameBackend(weight, indices);
  if (weight.ndim !== 2 || weight.dtype !== 'float32') {
    throw new Error(`embedding expects a float32 weight [num_embeddings, dim], got [${weight.shape}]`);
  }
  const [rows, dim] = weight.shape;
  const params = embeddingParams(indices, rows, dim);
  const out = empty(backend, [...indices.shape, dim]);
  backend.run({
    kernel: 'embedding',
    buffers: { src: weight.storage, index: indices.storage, out: out.storage },
    params,
  });
  return out;
}

/**
 * The gradient of embedding() for its weight [rows, dim]: each row the sum of dy [..., dim] over
 * the positions that picked it, in position order (the same bits on every run and backend).
 */
export function embeddingBackward(dy: Tensor, indices: Tensor, rows: number, into?: Tensor): Tensor {
  const backend = sameBackend(dy, indices);
  const dim = dy.shape[dy.ndim - 1];
  const params = embeddingParams(indices, rows, dim);
  const out = target(backend, [rows, dim], into);
  backend.run({
    kernel: 'embeddingBackward',
    buffers: { index: indices.storage, dy: dy.storage, outf: out.storage },
    params,
  });
  return out;
}

/**
 * A batch of a dataset stored as uint8 bytes (see bytes()): the `count` rows that `index` names
 * from `offset` on, images normalised as (x/255 - mean)/std, labels widened to int32. Rows of whole
 * words (MNIST's 784 pixels) take one launch for both, four pixels per invocation.
 */
export function gatherBatch(
  images: Tensor,
  labels: Tensor,
  index: Tensor,
  offset: number,
  count: number,
  sampleShape: readonly number[],
  mean: number,
  std: number,
): [Tensor, Tensor] {
  const backend = sameBackend(images, labels, index);
  const rowSize = numel(sampleShape);
  const x = empty(backend, [count, ...sampleShape]);
  const y = empty(backend, [count], 'int32');
  const params = { rows: count, rowSize, indexOffset: offset, mean, stdev: std };
  if (rowSize % 4 === 0) {
    backend.run({
      kernel: 'gatherWords',
      buffers: {
        src: images.storage,
        labelSrc: labels.storage,
        index: index.storage,
        outf4: x.storage,
        out: y.storage,
      },
      params,
    });
  } else {
    backend.run({
      kernel: 'gatherBytes',
      buffers: { src: images.storage, index: index.storage, outf: x.storage },
      params,
    });
    backend.run({
      kernel: 'gatherLabels',
      buffers: { src: labels.storage, index: index.storage, out: y.storage },
      params: { ...params, rowSize: 1 },
    });
  }
  return [x, y];
}

/** Geometry of a 2-D convolution or pooling window. */
export interface Conv2dGeometry {
  kernelSize: number;
  stride: number;
  padding: number;
}

/** Output height and width of a window sliding over [H, W]. */
export function outputSize(h: number, w: number, g: Conv2dGeometry): [number, number] {
  const o = (d: number) => Math.floor((d + 2 * g.padding - g.kernelSize) / g.stride) + 1;
  return [o(h), o(w)];
}

/** The convolution kernel's params for input [N, C, H, W], OC output channels and geometry g. */
function convParams(
  inputShape: readonly number[],
  OC: number,
  g: Conv2dGeometry,
): Omit<ParamsOf<'convGemm'>, 'M' | 'N' | 'K' | 'batch'> {
  const [, C, H, W] = inputShape;
  const [OH, OW] = outputSize(H, W, g);
  if (OH < 1 || OW < 1) {
    throw new Error(
      `a ${g.kernelSize}x${g.kernelSize} window with padding ${g.padding} does not fit an input of ${H}x${W}`,
    );
  }
  const k = g.kernelSize;
  return { C, H, W, OC, KH: k, KW: k, OH, OW, stride: g.stride, pad: g.padding };
}

/** Checks x [N, C, H, W] against weight [OC, C, k, k] and the geometry's integers. */
function checkConv(x: Tensor | readonly number[], weight: Tensor, g: Conv2dGeometry): void {
  const shape = x instanceof Tensor ? x.shape : x;
  const [OC, C, KH, KW] = weight.shape;
  if (shape.length !== 4) throw new Error(`conv2d expects input [N, C, H, W], got [${shape}]`);
  if (weight.ndim !== 4 || KH !== KW || KH !== g.kernelSize)
    throw new Error(
      `conv2d expects a square weight [OC, C, ${g.kernelSize}, ${g.kernelSize}], got [${weight.shape}]`,
    );
  if (shape[1] !== C) throw new Error(`conv2d: input has ${shape[1]} channels but the weight expects ${C}`);
  if (!(Number.isInteger(g.stride) && g.stride >= 1 && Number.isInteger(g.padding) && g.padding >= 0)) {
    throw new Error(`conv2d needs a whole stride >= 1 and padding >= 0, got ${g.stride} and ${g.padding}`);
  }
  if (OC < 1) throw new Error(`conv2d with a weight of [${weight.shape}] has no output channels`);
}

/**
 * 2-D convolution (PyTorch's cross-correlation) of x [N, C, H, W] with weight [OC, C, k, k], plus
 * bias [OC] where given, then ReLU with `relu`: [N, OC, OH, OW] in one launch, as an implicit
 * matrix product (no unfolded copy of x).
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  g: Conv2dGeometry,
  relu = false,
): Tensor {
  const backend = sameBackend(x, weight, ...(bias ? [bias] : []));
  checkConv(x, weight, g);
  const cp = convParams(x.shape, weight.shape[0], g);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== cp.OC))
    throw new Error(`conv2d bias of [${bias.shape}] for ${cp.OC} output channels`);
  const out = empty(backend, [x.shape[0], cp.OC, cp.OH, cp.OW]);
  backend.run({
    kernel: 'convGemm',
    buffers: {
      a: weight.storage,
      b: x.storage,
      bias: bias?.storage ?? unusedBinding(backend),
      out: out.storage,
      sums: unusedOutput(backend),
    },
    params: { M: cp.OC, N: cp.OH * cp.OW, K: cp.C * cp.KH * cp.KW, batch: x.shape[0], ...cp },
    constants: { CONV_MODE: 0, HAS_BIAS: bias !== undefined, RELU: relu },
  });
  return out;
}

/** conv2d's gradient for its input [N, C, H, W], from dy [N, OC, OH, OW]: one launch. */
export function conv2dBackwardInput(
  dy: Tensor,
  weight: Tensor,
  inputShape: readonly number[],
  g: Conv2dGeometry,
): Tensor {
  const backend = sameBackend(dy, weight);
  checkConv(inputShape, weight, g);
  const cp = convParams(inputShape, weight.shape[0], g);
  const out = empty(backend, inputShape);
  backend.run({
    kernel: 'convGemm',
    buffers: {
      a: weight.storage,
      b: dy.storage,
      bias: unusedBinding(backend),
      out: out.storage,
      sums: unusedOutput(backend),
    },
    params: { M: cp.C, N: cp.H * cp.W, K: cp.OC * cp.KH * cp.KW, batch: inputShape[0], ...cp },
    constants: { CONV_MODE: 1 },
  });
  return out;
}

/**
 * conv2d's gradient for its weight [OC, C, k, k] from dy [N, OC, OH, OW] and the input x, and
 * for its bias (dy's sums per output channel) into `biasGrad` when given, from the same launch;
 * the weight's into `into` when given.
 */
export function conv2dBackwardWeight(
  dy: Tensor,
  x: Tensor,
  weightShape: readonly number[],
  g: Conv2dGeometry,
  into?: Tensor,
  biasGrad?: Tensor,
): Tensor {
  const backend = sameBackend(dy, x, ...(biasGrad ? [biasGrad] : []));
  const [OC, C, k] = weightShape;
  const cp = convParams(x.shape, OC, g);
  if (C !== x.shape[1] || k !== g.kernelSize || dy.size !== x.shape[0] * OC * cp.OH * cp.OW)
    throw new Error(`conv2d weight gradient of [${weightShape}] from dy [${dy.shape}] and x [${x.shape}]`);
  if (biasGrad && biasGrad.size !== OC)
    throw new Error(`a bias gradient of [${biasGrad.shape}] for ${OC} channels`);
  const out = target(backend, weightShape, into);
  const N = C * k * k;
  const splits = weightGradSplits(OC, N, x.shape[0]);
  // Split over the images, each split's sums land in a slice of their own, summed in split order.
  const partial = splits > 1 ? empty(backend, [splits, OC, N]) : out;
  const partialSums = splits > 1 && biasGrad ? empty(backend, [splits, OC]) : biasGrad;
  backend.run({
    kernel: 'convGemm',
    buffers: {
      a: dy.storage,
      b: x.storage,
      bias: unusedBinding(backend),
      out: partial.storage,
      sums: partialSums?.storage ?? unusedOutput(backend),
    },
    params: { M: OC, N, K: (x.shape[0] / splits) * cp.OH * cp.OW, batch: splits, ...cp },
    constants: { CONV_MODE: 2, ROW_SUMS: biasGrad !== undefined },
  });
  if (partial !== out) {
    reduce('sum', partial, 0, false, 1, out);
    partial.dispose();
  }
  if (biasGrad && partialSums && partialSums !== biasGrad) {
    reduce('sum', partialSums, 0, false, 1, biasGrad);
    partialSums.dispose();
  }
  return out;
}

/**
 * Invocations a weight gradient should have at least (an 8x8 block each): a first layer's weight
 * (16 x 9) is one or two blocks, each summing 50,000 products in a row while the rest of the
 * device idles, so its images are split among this many.
 */
const WEIGHT_GRAD_INVOCATIONS = 256;

/** Into how many parts a weight gradient's images are split: a divisor of the batch. */
function weightGradSplits(OC: number, N: number, images: number): number {
  const { BLOCK } = SIZES;
  const blocks = Math.ceil(OC / BLOCK) * Math.ceil(N / BLOCK);
  const want = Math.min(images, Math.ceil(WEIGHT_GRAD_INVOCATIONS / blocks));
  for (let d = want; d > 1; d--) if (images % d === 0) return d;
  return 1;
}

function poolParams(shape: readonly number[], g: Conv2dGeometry, total: number): ParamsOf<'maxPool'> {
  const [H, W] = shape.slice(-2);
  const [OH, OW] = outputSize(H, W, g);
  return { total, H, W, OH, OW, K: g.kernelSize, stride: g.stride, pad: g.padding };
}

/** Max pooling of [N, C, H, W]; also returns each output's winning position (for backward). */
export function maxPool2d(x: Tensor, g: Conv2dGeometry): { out: Tensor; indices: Tensor } {
  const backend = sameBackend(x);
  const [N, C, H, W] = x.shape;
  const [OH, OW] = outputSize(H, W, g);
  const out = empty(backend, [N, C, OH, OW]);
  const indices = empty(backend, [N, C, OH, OW], 'int32');
  backend.run({
    kernel: 'maxPool',
    buffers: { src: x.storage, out: out.storage, indices: indices.storage },
    params: poolParams(x.shape, g, out.size),
  });
  return { out, indices };
}

/** Routes the output gradient of max pooling back to the winning inputs. */
export function maxPool2dBackward(
  grad: Tensor,
  indices: Tensor,
  inputShape: readonly number[],
  g: Conv2dGeometry,
): Tensor {
  const backend = sameBackend(grad, indices);
  const out = empty(backend, inputShape);
  backend.run({
    kernel: 'maxPoolBackward',
    buffers: { src: grad.storage, argmax: indices.storage, out: out.storage },
    params: poolParams(inputShape, g, out.size),
  });
  return out;
}

/** Average pooling of [N, C, H, W] (padding counted in the divisor, PyTorch's default). */
export function avgPool2d(x: Tensor, g: Conv2dGeometry): Tensor {
  const backend = sameBackend(x);
  const [N, C, H, W] = x.shape;
  const [OH, OW] = outputSize(H, W, g);
  const out = empty(backend, [N, C, OH, OW]);
  backend.run({
    kernel: 'avgPool',
    buffers: { src: x.storage, out: out.storage },
    params: poolParams(x.shape, g, out.size),
  });
  return out;
}

/** Spreads the output gradient of average pooling over each window. */
export function avgPool2dBackward(grad: Tensor, inputShape: readonly number[], g: Conv2dGeometry): Tensor {
  const backend = sameBackend(grad);
  const out = empty(backend, inputShape);
  backend.run({
    kernel: 'avgPoolBackward',
    buffers: { src: grad.storage, out: out.storage },
    params: poolParams(inputShape, g, out.size),
  });
  return out;
}

/** Options of batch normalisation's statistics (torch.nn.functional.batch_norm's). */
export interface BatchNormOptions {
  training: boolean;
  momentum: number;
  eps: number;
  /** A ReLU follows, fused into the same kernels. */
  relu?: boolean;
}

/**
 * The batch norm kernels' params for x [N, C, ...], seen as [N, C, S] (S the product of the trailing
 * dims); the running statistics' update takes o's eps and momentum, the other kernels none.
 */
function normParams(x: Tensor, o?: BatchNormOptions): ParamsOf<'batchNormStats'> {
  const [N, C] = x.shape;
  const S = x.size / (N * C);
  const n = N * S;
  // The running variance tracks the unbiased variance: momentum * n / (n - 1), in double.
  const momentum = o?.momentum ?? 0;
  const momentumVar = n > 1 ? (momentum * n) / (n - 1) : 0;
  return { N, C, S, eps: o?.eps ?? 0, momentum, momentumVar };
}

/**
 * Per-channel [mean, invstd] ([2, C]) of x [N, C, ...]: the batch's (biased variance) in training,
 * which also updates runningMean and runningVar in place; the running ones in eval.
 */
export function batchNormStats(
  x: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  o: BatchNormOptions,
): Tensor {
  const backend = sameBackend(x, runningMean, runningVar);
  const params = normParams(x, o);
  const stats = empty(backend, [2, params.C]);
  backend.run({
    kernel: 'batchNormStats',
    buffers: {
      x: x.storage,
      stats: stats.storage,
      runningMean: runningMean.storage,
      runningVar: runningVar.storage,
    },
    params,
    constants: { TRAINING: o.training },
  });
  return stats;
}

/**
 * (x - mean) * invstd * weight + bias per channel, from batchNormStats' stats; with `relu`, the
 * ReLU that follows too.
 */
export function batchNormApply(
  x: Tensor,
  stats: Tensor,
  weight?: Tensor,
  bias?: Tensor,
  relu = false,
): Tensor {
  const backend = sameBackend(x, stats);
  const out = empty(backend, x.shape);
  backend.run({
    kernel: 'batchNormApply',
    buffers: {
      x: x.storage,
      stats: stats.storage,
      weight: weight?.storage ?? unusedBinding(backend),
      bias: bias?.storage ?? unusedBinding(backend),
      out: out.storage,
    },
    params: normParams(x),
    constants: { AFFINE: weight !== undefined, RELU: relu },
  });
  return out;
}

/**
 * Batch norm's backward pass: the input gradient (null unless wanted) and the per-channel sums
 * that are the weight and bias gradients, sum(dy * xhat) and sum(dy). `relu` is the forward
 * output when a ReLU was fused in: dy passes only where it is positive.
 */
export function batchNormBackward(
  dy: Tensor,
  x: Tensor,
  stats: Tensor,
  weight: Tensor | undefined,
  training: boolean,
  wantInput: boolean,
  into: { dweight?: Tensor; dbias?: Tensor } = {},
  relu?: Tensor,
): { dx: Tensor | null; dweight: Tensor; dbias: Tensor } {
  const backend = sameBackend(dy, x, stats);
  const params = normParams(x);
  const dweight = target(backend, [params.C], into.dweight);
  const dbias = target(backend, [params.C], into.dbias);
  const y = relu?.storage ?? unusedBinding(backend);
  backend.run({
    kernel: 'batchNormBackwardSums',
    buffers: {
      dy: dy.storage,
      x: x.storage,
      stats: stats.storage,
      dweight: dweight.storage,
      dbias: dbias.storage,
      y,
    },
    params,
    constants: { RELU: relu !== undefined },
  });
  let dx: Tensor | null = null;
  if (wantInput) {
    dx = empty(backend, x.shape);
    backend.run({
      kernel: 'batchNormBackward',
      buffers: {
        dy: dy.storage,
        x: x.storage,
        stats: stats.storage,
        weight: weight?.storage ?? unusedBinding(backend),
        dweight: dweight.storage,
        dbias: dbias.storage,
        out: dx.storage,
        y,
      },
      params,
      constants: { TRAINING: training, AFFINE: weight !== undefined, RELU: relu !== undefined },
    });
  }
  return { dx, dweight, dbias };
}

/** The layer norm kernels' params for x seen as [rows, cols], cols its last dim. */
function layerNormParams(x: Tensor, eps = 0): ParamsOf<'layerNorm'> {
  const [rows, cols] = rowsCols(x);
  return { rows, cols, eps };
}

/**
 * Layer normalisation of x over its last dim (biased variance), times weight and plus bias
 * ([cols] each) where given: the output, and the per-row [mean, rstd] ([2, rows]) that
 * layerNormBackward takes.
 */
export function layerNorm(
  x: Tensor,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
  eps: number,
): { out: Tensor; stats: Tensor } {
  const backend = sameBackend(x);
  const params = layerNormParams(x, eps);
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== params.cols)) {
      throw new Error(`layer norm over ${params.cols} features got a ${name} of shape [${t.shape}]`);
    }
  }
  const out = empty(backend, x.shape);
  const stats = empty(backend, [2, params.rows]);
  backend.run({
    kernel: 'layerNorm',
    buffers: {
      x: x.storage,
      weight: weight?.storage ?? unusedBinding(backend),
      bias: bias?.storage ?? unusedBinding(backend),
      out: out.storage,
      stats: stats.storage,
    },
    params,
    constants: { ...rowThreads(params.cols), HAS_WEIGHT: weight !== undefined, HAS_BIAS: bias !== undefined },
  });
  return { out, stats };
}

/**
 * Layer norm's backward pass from layerNorm's stats: the input gradient and the weight and bias
 * gradients (sum over rows of dy * xhat, and of dy), each computed only where `want` says (null
 * otherwise), the last two into `into`'s tensors when given.
 */
export function layerNormBackward(
  dy: Tensor,
  x: Tensor,
  stats: Tensor,
  weight: Tensor | undefined,
  want: { input: boolean; weight: boolean; bias: boolean },
  into: { dweight?: Tensor; dbias?: Tensor } = {},
): { dx: Tensor | null; dweight: Tensor | null; dbias: Tensor | null } {
  const backend = sameBackend(dy, x, stats);
  const params = layerNormParams(x);
  let dx: Tensor | null = null;
  if (want.input) {
    dx = empty(backend, x.shape);
    backend.run({
      kernel: 'layerNormBackward',
      buffers: {
        dy: dy.storage,
        x: x.storage,
        stats: stats.storage,
        weight: weight?.storage ?? unusedBinding(backend),
        out: dx.storage,
      },
      params,
      constants: { ...rowThreads(params.cols), HAS_WEIGHT: weight !== undefined },
    });
  }
  const dweight = want.weight ? target(backend, [params.cols], into.dweight) : null;
  const dbias = want.bias ? target(backend, [params.cols], into.dbias) : null;
  if (dweight || dbias) {
    backend.run({
      kernel: 'layerNormBackwardParams',
      buffers: {
        dy: dy.storage,
        x: x.storage,
        stats: stats.storage,
        dweight: dweight?.storage ?? unusedOutput(backend),
        dbias: dbias?.storage ?? unusedOutput(backend),
      },
      params,
      constants: { HAS_WEIGHT: dweight !== null, HAS_BIAS: dbias !== null },
    });
  }
  return { dx, dweight, dbias };
}

/** A tensor's histogram as readHistograms() decodes it. */
export interface Histogram {
  /** The range binned: the finite minimum and maximum, unless one was given (NaN: no finite value). */
  lo: number;
  hi: number;
  /** Elements per bin: bin i holds lo + i*w <= x < lo + (i+1)*w, w = (hi - lo) / bins; the last also x == hi. */
  counts: number[];
  nan: number;
  posInf: number;
  negInf: number;
  /** Of the finite elements: the extremes (NaN when there is none), sum and sum of squares. */
  min: number;
  max: number;
  sum: number;
  sumSquares: number;
}

/** Words of a histogram slot past its bins: NaN, +Inf, -Inf, two extremes, lo, hi, and the partial sums. */
const SLOT_EXTRA = 7 + 2 * SIZES.HIST_GROUPS;

/**
 * Histograms of `xs` in `bins` equal bins (at most 256) over `range`, or each tensor's finite
 * minimum and maximum, counted on the device with integer atomics (the same counts on every run
 * and backend, up to a rounding at interior bin edges on another GPU): one int32 tensor, a slot
 * per input, that readHistograms() decodes. Finite values outside a given range count in no bin;
 * NaN, +Inf and -Inf are counted apart. Three launches per tensor and no readback.
 */
export function histograms(xs: Tensor[], bins: number, range?: { lo: number; hi: number }): Tensor {
  const backend = sameBackend(...xs);
  if (!Number.isInteger(bins) || bins < 1 || bins > SIZES.WORKGROUP_SIZE) {
    throw new Error(`histograms take 1 to ${SIZES.WORKGROUP_SIZE} bins, got ${bins}`);
  }
  if (range && !(range.lo <= range.hi))
    throw new Error(`histogram range [${range.lo}, ${range.hi}] is empty`);
  const slot = bins + SLOT_EXTRA;
  const out = empty(backend, [xs.length, slot], 'int32');
  backend.run({ kernel: 'fill', buffers: { dst: out.storage }, params: { n: out.size, value: 0 } });
  xs.forEach((x, i) => {
    if (x.dtype !== 'float32') throw new Error(`histograms count float32 tensors, got ${x.dtype}`);
    const params = { n: x.size, bins, lo: range?.lo ?? 0, hi: range?.hi ?? 0, slot: i * slot };
    const buffers = { x: x.storage, out: out.storage };
    backend.run({ kernel: 'histogramRange', buffers, params });
    backend.run({ kernel: 'histogramCount', buffers, params, constants: { AUTO_RANGE: !range } });
  });
  return out;
}

/** Decodes the slots of a histograms() result, one Histogram per tensor counted (waits for it). */
export async function readHistograms(packed: Tensor): Promise<Histogram[]> {
  const [count, slot] = packed.shape;
  const words = new Uint32Array((await packed.data()).buffer);
  const floats = new Float32Array(words.buffer);
  const bins = slot - SLOT_EXTRA;
  const G = SIZES.HIST_GROUPS;
  return Array.from({ length: count }, (_, i) => {
    const at = i * slot + bins;
    const extreme = (k: number) => (k === 0 ? Number.NaN : fromOrderKey(k));
    let [sum, sumSquares] = [0, 0];
    // Added in workgroup order, in double: the same total on every run.
    for (let g = 0; g < G; g++) {
      sum += floats[at + 7 + g];
      sumSquares += floats[at + 7 + G + g];
    }
    return {
      lo: floats[at + 5],
      hi: floats[at + 6],
      counts: Array.from(words.subarray(i * slot, at)),
      nan: words[at],
      posInf: words[at + 1],
      negInf: words[at + 2],
      min: -extreme(words[at + 4]),
      max: extreme(words[at + 3]),
      sum,
      sumSquares,
    };
  });
}
