/**
 * The cpu backend: plain TypeScript versions of every kernel in shaders/, with the same buffer
 * and param names. It is the reference the WebGPU and WASM kernels are tested against; the wasm
 * backend also runs these kernels, on views of its linear memory, for the kernels it has no SIMD
 * version of. Arithmetic is rounded to float32 (Math.fround) where the GPU's is.
 */
import type { Backend, KernelCall, KernelParams, MemoryInfo, Storage } from './backend';
import { BINARY, fromOrderKey, type KernelName, REDUCE, SIZES, UNARY } from './kernels';

/** A kernel's view of one storage: the same bytes as each element type (the cpu kernels' buffers). */
export interface KernelViews {
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly u8: Uint8Array;
}

interface CpuStorage extends Storage, KernelViews {}

let nextId = 1;
const f = Math.fround;

/** A launch's buffers, by the kernel's buffer names. */
export type KernelBuffers = Record<string, KernelViews>;
type Buffers = KernelBuffers;
/** A cpu kernel: reads and writes its buffers' views in place. */
export type CpuKernel = (b: Buffers, p: KernelParams, c: Record<string, number | boolean>) => void;
type Kernel = CpuKernel;

const n = (p: KernelParams, k: string) => p[k] as number;

function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

function power(x: number, e: number): number {
  if (x < 0 && !Number.isInteger(e)) return Number.NaN;
  return x ** e;
}

function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

function unaryOp(op: number, x: number, a: number, b: number, i: number, seed: number): number {
  switch (op) {
    case UNARY.copy:
      return x;
    case UNARY.neg:
      return -x;
    case UNARY.exp:
      return Math.exp(x);
    case UNARY.log:
      return Math.log(x);
    case UNARY.sqrt:
      return Math.sqrt(x);
    case UNARY.relu:
      return Math.max(x, 0);
    case UNARY.leakyRelu:
      return x > 0 ? x : f(x * a);
    case UNARY.tanh:
      return Math.tanh(x);
    case UNARY.sigmoid:
      return 1 / (1 + Math.exp(-x));
    case UNARY.gelu:
      return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
    case UNARY.pow:
      return power(x, a);
    case UNARY.affine:
      return f(f(x * a) + b);
    case UNARY.abs:
      return Math.abs(x);
    case UNARY.sign:
      return Math.sign(x);
    case UNARY.clamp:
      return Math.min(Math.max(x, a), b);
    case UNARY.dropout: {
      // p as the GPU sees it (float32): u can equal fround(p) exactly, and must then be kept.
      const u = (pcgHash((i ^ pcgHash(seed)) >>> 0) >>> 8) / 16777216;
      return u >= f(a) ? f(x / f(1 - f(a))) : 0;
    }
    default:
      throw new Error(`unknown unary op ${op}`);
  }
}

function binaryOp(op: number, x: number, y: number, a: number): number {
  switch (op) {
    case BINARY.add:
      return x + y;
    case BINARY.sub:
      return x - y;
    case BINARY.mul:
      return x * y;
    case BINARY.div:
      return x / y;
    case BINARY.maximum:
      return Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : Math.max(x, y);
    case BINARY.minimum:
      return Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : Math.min(x, y);
    case BINARY.pow:
      return power(x, y);
    case BINARY.reluGrad:
      return y > 0 ? x : 0;
    case BINARY.leakyReluGrad:
      return y > 0 ? x : x * a;
    case BINARY.tanhGrad:
      return x * f(1 - f(y * y));
    case BINARY.sigmoidGrad:
      return f(x * y) * f(1 - y);
    case BINARY.geluGrad:
      return x * (0.5 * (1 + erf(y * Math.SQRT1_2)) + y * 0.3989422804014327 * Math.exp(-0.5 * y * y));
    case BINARY.eq:
      return x === y ? 1 : 0;
    case BINARY.gt:
      return x > y ? 1 : 0;
    default:
      throw new Error(`unknown binary op ${op}`);
  }
}

/** The flat source index of output element i through a strided view. */
function sourceIndex(i: number, shape: number[], strides: number[], rank: number): number {
  let rem = i;
  let idx = 0;
  for (let d = rank - 1; d >= 0; d--) {
    idx += (rem % shape[d]) * strides[d];
    rem = Math.floor(rem / shape[d]);
  }
  return idx;
}

function better(va: number, ia: number, vb: number, ib: number): boolean {
  if (Number.isNaN(vb)) return !Number.isNaN(va) || ib < ia;
  if (Number.isNaN(va)) return false;
  return vb > va || (vb === va && ib < ia);
}

function reduce(b: Buffers, p: KernelParams, c: Record<string, number | boolean>): void {
  const [outer, size, inner, scale] = [n(p, 'outer'), n(p, 'size'), n(p, 'inner'), n(p, 'scale')];
  const op = c.OP as number;
  const x = b.x.f32;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * size * inner + k;
      let v = op === REDUCE.max || op === REDUCE.argmax ? -Number.MAX_VALUE : 0;
      let vi = -1;
      for (let j = 0; j < size; j++) {
        const e = op === REDUCE.sumSquares ? x[base + j * inner] ** 2 : x[base + j * inner];
        if (op === REDUCE.sum || op === REDUCE.sumSquares) v += e;
        else if (vi < 0 || better(v, vi, e, j)) {
          v = e;
          vi = j;
        }
      }
      const idx = o * inner + k;
      if (op === REDUCE.argmax) b.out.i32[idx] = vi;
      else b.out.f32[idx] = op === REDUCE.max ? v : v * scale;
    }
  }
}

function logSumExp(x: Float32Array, base: number, cols: number): number {
  let m = -Number.MAX_VALUE;
  for (let j = 0; j < cols; j++) m = Math.max(m, x[base + j]);
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(x[base + j] - m);
  return m + Math.log(s);
}

/** A 2-D pooling window walk shared by the four pooling kernels. */
function poolGeometry(p: KernelParams) {
  return {
    H: n(p, 'H'),
    W: n(p, 'W'),
    OH: n(p, 'OH'),
    OW: n(p, 'OW'),
    K: n(p, 'K'),
    S: n(p, 'stride'),
    P: n(p, 'pad'),
  };
}

/** Every matmul kernel (the tiled ones and the direct one) computes the same product. */
function matmul(b: Buffers, p: KernelParams, c: Record<string, number | boolean>): void {
  const [M, N, K, batch] = [n(p, 'M'), n(p, 'N'), n(p, 'K'), n(p, 'batch')];
  const [sA, sB, oA, oB] = [n(p, 'strideA'), n(p, 'strideB'), n(p, 'offsetA'), n(p, 'offsetB')];
  const [A, B, out] = [b.a.f32, b.b.f32, b.out.f32];
  const bias = c.HAS_BIAS ? b.bias.f32 : null;
  const row = new Float32Array(N);
  for (let z = 0; z < batch; z++) {
    const [ba, bb] = [oA + z * sA, oB + z * sB];
    for (let m = 0; m < M; m++) {
      row.fill(0);
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const av = c.TRANS_A ? A[ba + k * M + m] : A[ba + m * K + k];
        sum = f(sum + av);
        if (av === 0) continue;
        if (c.TRANS_B) for (let j = 0; j < N; j++) row[j] += av * B[bb + j * K + k];
        else for (let j = 0; j < N; j++) row[j] += av * B[bb + k * N + j];
      }
      for (let j = 0; j < N; j++) {
        let v = row[j] + (bias ? bias[j] : 0);
        if (c.RELU) v = Math.max(v, 0);
        out[z * M * N + m * N + j] = v;
      }
      if (c.ROW_SUMS) b.sums.f32[m] = sum;
    }
  }
}

/**
 * The convolution kernel's three products (CONV_MODE, see matmul.wgsl) written as the
 * convolution itself: x [N, C, H, W] (or for the input gradient dy [N, OC, OH, OW]) in `b`, the
 * weight [OC, C, KH, KW] (or dy for the weight gradient) in `a`. Each output row accumulates over
 * k in the order the GPU's product walks it, in float32 as the GPU does.
 */
function convGemm(b: Buffers, p: KernelParams, c: Record<string, number | boolean>): void {
  const [M, N, K, batch] = [n(p, 'M'), n(p, 'N'), n(p, 'K'), n(p, 'batch')];
  const [C, H, W, OC, KH, KW, OH, OW, S, P] = [
    'C',
    'H',
    'W',
    'OC',
    'KH',
    'KW',
    'OH',
    'OW',
    'stride',
    'pad',
  ].map((k) => n(p, k));
  const [A, B, out] = [b.a.f32, b.b.f32, b.out.f32];
  const mode = Number(c.CONV_MODE ?? 0);
  const [HW, OP, KK] = [H * W, OH * OW, KH * KW];
  const row = new Float32Array(N);
  // The weight gradient's columns (ci, kh, kw), located once.
  const cols = Array.from({ length: mode === 2 ? N : 0 }, (_, col) => col);
  const [ciOf, khOf, kwOf] = [
    cols.map((col) => Math.floor(col / KK)),
    cols.map((col) => Math.floor(col / KW) % KH),
    cols.map((col) => col % KW),
  ];
  for (let z = 0; z < batch; z++)
    for (let m = 0; m < M; m++) {
      row.fill(0);
      let rowSum = 0;
      if (mode === 0) {
        // out[z, m = oc, (oh, ow)] over k = (ci, kh, kw): x's window at (oh*S + kh - P, ow*S + kw - P).
        for (let k = 0; k < K; k++) {
          const [ci, kh, kw] = [Math.floor(k / KK), Math.floor(k / KW) % KH, k % KW];
          const wv = A[m * K + k];
          const plane = (z * C + ci) * HW;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - P;
            if (ih < 0 || ih >= H) continue;
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - P;
              if (iw >= 0 && iw < W) row[oh * OW + ow] += wv * B[plane + ih * W + iw];
            }
          }
        }
      } else if (mode === 1) {
        // dx[z, m = ci, (ih, iw)] over k = (oc, kh, kw): each window adds into the inputs it read.
        for (let k = 0; k < K; k++) {
          const [oc, kh, kw] = [Math.floor(k / KK), Math.floor(k / KW) % KH, k % KW];
          const wv = A[(oc * C + m) * KK + kh * KW + kw];
          const plane = (z * OC + oc) * OP;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - P;
            if (ih < 0 || ih >= H) continue;
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - P;
              if (iw >= 0 && iw < W) row[ih * W + iw] += wv * B[plane + oh * OW + ow];
            }
          }
        }
      } else {
        // dw[m = oc, (ci, kh, kw)] over k = (image, oh, ow).
        for (let k = 0; k < K; k++) {
          // Product z of a split weight gradient sums its own images (K counts one split's).
          const [img, oh, ow] = [z * (K / OP) + Math.floor(k / OP), Math.floor(k / OW) % OH, k % OW];
          const g = A[(img * OC + m) * OP + oh * OW + ow];
          rowSum = f(rowSum + g);
          for (let col = 0; col < N; col++) {
            const ih = oh * S + khOf[col] - P;
            const iw = ow * S + kwOf[col] - P;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W)
              row[col] += g * B[(img * C + ciOf[col]) * HW + ih * W + iw];
          }
        }
      }
      for (let col = 0; col < N; col++) {
        let v = row[col];
        if (c.HAS_BIAS) v = f(v + b.bias.f32[m]);
        if (c.RELU) v = Math.max(v, 0);
        out[(z * M + m) * N + col] = v;
      }
      if (c.ROW_SUMS) b.sums.f32[z * M + m] = rowSum;
    }
}

/** gatherLabels and gatherWords: uint8 labels gathered by index, widened to int32 in `out`. */
export function gatherLabelBytes(b: Buffers, p: KernelParams, src: KernelViews): void {
  const [rows, off] = [n(p, 'rows'), n(p, 'indexOffset')];
  for (let r = 0; r < rows; r++) b.out.i32[r] = src.u8[b.index.i32[off + r]];
}

/** gatherBytes and gatherWords: uint8 image rows gathered by index and normalised into `out`. */
function gatherImages(b: Buffers, p: KernelParams, out: Float32Array): void {
  const [rows, size, off, mean, std] = [
    n(p, 'rows'),
    n(p, 'rowSize'),
    n(p, 'indexOffset'),
    n(p, 'mean'),
    n(p, 'stdev'),
  ];
  const [m, s] = [f(mean), f(std)];
  for (let r = 0; r < rows; r++) {
    const from = b.index.i32[off + r] * size;
    for (let j = 0; j < size; j++) out[r * size + j] = f(f(f(b.src.u8[from + j] / 255) - m) / s);
  }
}

/** Batch norm's view of x as [N, C, S]: element j of channel c, j counting over N then S. */
function batchNormGeometry(p: KernelParams) {
  const [N, C, S] = [n(p, 'N'), n(p, 'C'), n(p, 'S')];
  const at = (c: number, j: number) => (Math.floor(j / S) * C + c) * S + (j % S);
  return { C, S, count: N * S, total: N * C * S, at };
}

/** Batch norm's upstream gradient at i, through the fused ReLU (masked by its output y) if any. */
function batchNormGrad(b: Buffers, c: Record<string, number | boolean>) {
  return (i: number) => (c.RELU && !(b.y.f32[i] > 0) ? 0 : b.dy.f32[i]);
}

/** Layer norm's view of x as [rows, cols], and its saved per-row mean and rstd. */
function layerNormGeometry(b: Buffers, p: KernelParams) {
  const [rows, cols] = [n(p, 'rows'), n(p, 'cols')];
  return { rows, cols, mean: b.stats.f32, rstd: b.stats.f32.subarray(rows) };
}

/** histogram.wgsl's order key: unsigned integers that order as the floats do. */
function orderKey(v: number, u32: Uint32Array, f32: Float32Array): number {
  f32[0] = v;
  const bits = u32[0];
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/** The finite values' extremes and sums, into a histogram slot (histogram.wgsl's layout). */
function histogramRange(b: Buffers, p: KernelParams): void {
  const [N, base] = [n(p, 'n'), n(p, 'slot') + n(p, 'bins')];
  const [x, out] = [b.x.f32, b.out.u32];
  const scratch = new Float32Array(1);
  const bits = new Uint32Array(scratch.buffer);
  let [sum, squares, top, bottom] = [0, 0, -Infinity, -Infinity];
  for (let i = 0; i < N; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) continue;
    sum += v;
    squares += v * v;
    top = Math.max(top, v);
    bottom = Math.max(bottom, -v);
  }
  if (top > -Infinity) {
    out[base + 3] = Math.max(out[base + 3], orderKey(top, bits, scratch));
    out[base + 4] = Math.max(out[base + 4], orderKey(bottom, bits, scratch));
  }
  // One partial sum, the whole sum: the host adds the partials.
  b.out.f32[base + 7] = sum;
  b.out.f32[base + 7 + SIZES.HIST_GROUPS] = squares;
}

/** Counts per bin and NaN, +Inf, -Inf apart, into a histogram slot (histogram.wgsl's rules). */
function histogramCount(b: Buffers, p: KernelParams, c: Record<string, number | boolean>): void {
  const [N, bins, slot] = [n(p, 'n'), n(p, 'bins'), n(p, 'slot')];
  const [x, out, outf] = [b.x.f32, b.out.u32, b.out.f32];
  const base = slot + bins;
  let [lo, hi] = [f(n(p, 'lo')), f(n(p, 'hi'))];
  if (c.AUTO_RANGE ?? true) {
    // The extremes as hist_range found them (no finite value: NaN, so nothing is binned).
    const any = out[base + 3] !== 0;
    lo = any ? -fromOrderKey(out[base + 4]) : Number.NaN;
    hi = any ? fromOrderKey(out[base + 3]) : Number.NaN;
  }
  const scale = f(bins / f(hi - lo));
  for (let i = 0; i < N; i++) {
    const v = x[i];
    if (Number.isNaN(v)) out[base]++;
    else if (!Number.isFinite(v)) out[base + (v > 0 ? 1 : 2)]++;
    else if (v >= lo && v <= hi) {
      const at = hi === lo ? 0 : f(f(v - lo) * scale);
      out[slot + Math.min(Math.floor(at), bins - 1)]++;
    }
  }
  outf[base + 5] = lo;
  outf[base + 6] = hi;
}

/** Every kernel in plain TypeScript, by kernel name: the reference implementations. */
export const CPU_KERNELS: Record<KernelName, Kernel> = {
  unary(b, p, c) {
    const [N, rank] = [n(p, 'n'), n(p, 'rank')];
    const shape = p.shape as number[];
    const strides = p.strideA as number[];
    const off = n(p, 'offsetA') ?? 0;
    const x = b.a.f32;
    const out = b.out.f32;
    const op = c.OP as number;
    const [alpha, beta, seed] = [n(p, 'alpha') ?? 0, n(p, 'beta') ?? 0, n(p, 'seed') ?? 0];
    const offOut = n(p, 'offsetB') ?? 0;
    for (let i = 0; i < N; i++) {
      const src = c.CONTIGUOUS ? off + i : off + sourceIndex(i, shape, strides, rank);
      const dst = c.SCATTER ? offOut + sourceIndex(i, shape, p.strideB as number[], rank) : i;
      out[dst] = op === UNARY.intToFloat ? b.a.i32[src] : unaryOp(op, x[src], alpha, beta, i, seed);
    }
  },
  binary(b, p, c) {
    const [N, rank] = [n(p, 'n'), n(p, 'rank')];
    const shape = p.shape as number[];
    const [sa, sb] = [p.strideA as number[], p.strideB as number[]];
    const [oa, ob] = [n(p, 'offsetA') ?? 0, n(p, 'offsetB') ?? 0];
    const [x, y, out] = [b.a.f32, b.b.f32, b.out.f32];
    const op = c.OP as number;
    const alpha = n(p, 'alpha') ?? 0;
    for (let i = 0; i < N; i++) {
      const ia = c.CONTIGUOUS ? oa + i : oa + sourceIndex(i, shape, sa, rank);
      const ib = c.CONTIGUOUS ? ob + i : ob + sourceIndex(i, shape, sb, rank);
      out[i] = binaryOp(op, x[ia], y[ib], alpha);
    }
  },
  fill(b, p) {
    b.dst.f32.fill(n(p, 'value'), 0, n(p, 'n'));
  },
  reduceRows: reduce,
  reduceCols: reduce,
  matmul,
  matmulBig: matmul,
  matmulDirect: matmul,
  convGemm,
  logSoftmax(b, p) {
    const [rows, cols] = [n(p, 'rows'), n(p, 'cols')];
    for (let r = 0; r < rows; r++) {
      const lse = logSumExp(b.x.f32, r * cols, cols);
      for (let j = 0; j < cols; j++) b.out.f32[r * cols + j] = b.x.f32[r * cols + j] - lse;
    }
  },
  logSoftmaxBackward(b, p) {
    const [rows, cols] = [n(p, 'rows'), n(p, 'cols')];
    const [y, g, out] = [b.x.f32, b.g.f32, b.out.f32];
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += g[r * cols + j];
      for (let j = 0; j < cols; j++) out[r * cols + j] = g[r * cols + j] - Math.exp(y[r * cols + j]) * s;
    }
  },
  causalSoftmax(b, p) {
    const [rows, cols, scale] = [n(p, 'rows'), n(p, 'cols'), f(n(p, 'scale'))];
    const [x, out] = [b.x.f32, b.out.f32];
    for (let r = 0; r < rows; r++) {
      const [base, seen] = [r * cols, (r % cols) + 1];
      let m = -Number.MAX_VALUE;
      for (let j = 0; j < seen; j++) m = Math.max(m, f(x[base + j] * scale));
      let s = 0;
      for (let j = 0; j < seen; j++) s += Math.exp(f(x[base + j] * scale) - m);
      for (let j = 0; j < cols; j++) out[base + j] = j < seen ? Math.exp(f(x[base + j] * scale) - m) / s : 0;
    }
  },
  causalSoftmaxBackward(b, p) {
    const [rows, cols, scale] = [n(p, 'rows'), n(p, 'cols'), n(p, 'scale')];
    const [y, g, out] = [b.x.f32, b.g.f32, b.out.f32];
    for (let r = 0; r < rows; r++) {
      const [base, seen] = [r * cols, (r % cols) + 1];
      let s = 0;
      for (let j = 0; j < seen; j++) s += g[base + j] * y[base + j];
      for (let j = 0; j < cols; j++) out[base + j] = j < seen ? scale * y[base + j] * (g[base + j] - s) : 0;
    }
  },
  crossEntropy(b, p) {
    const [rows, cols, eps] = [n(p, 'rows'), n(p, 'cols'), n(p, 'smoothing')];
    const x = b.x.f32;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const lse = logSumExp(x, r * cols, cols);
      let s = 0;
      for (let j = 0; j < cols; j++) s += x[r * cols + j] - lse;
      const picked = x[r * cols + b.labels.i32[r]] - lse;
      total += -(1 - eps) * picked - (eps / cols) * s;
    }
    b.out.f32[0] = total * n(p, 'scale');
  },
  crossEntropyBackward(b, p) {
    const [rows, cols, eps, scale] = [n(p, 'rows'), n(p, 'cols'), n(p, 'smoothing'), n(p, 'scale')];
    const x = b.x.f32;
    const k = b.g.f32[0] * scale;
    for (let r = 0; r < rows; r++) {
      const lse = logSumExp(x, r * cols, cols);
      const y = b.labels.i32[r];
      for (let j = 0; j < cols; j++) {
        const want = (j === y ? 1 - eps : 0) + eps / cols;
        b.out.f32[r * cols + j] = (Math.exp(x[r * cols + j] - lse) - want) * k;
      }
    }
  },
  gatherRows(b, p) {
    const [rows, size, off] = [n(p, 'rows'), n(p, 'rowSize'), n(p, 'indexOffset')];
    for (let r = 0; r < rows; r++) {
      const from = b.index.i32[off + r] * size;
      b.out.u32.set(b.src.u32.subarray(from, from + size), r * size);
    }
  },
  gatherBytes: (b, p) => gatherImages(b, p, b.outf.f32),
  gatherWords(b, p) {
    gatherImages(b, p, b.outf4.f32);
    gatherLabelBytes(b, p, b.labelSrc);
  },
  gatherLabels: (b, p) => gatherLabelBytes(b, p, b.src),
  embedding(b, p) {
    const [count, rows, dim] = [n(p, 'count'), n(p, 'rows'), n(p, 'dim')];
    for (let at = 0; at < count; at++) {
      const row = b.index.i32[at];
      if (!(row >= 0 && row < rows)) {
        throw new Error(`embedding: index ${row} at position ${at} is out of range for ${rows} embeddings`);
      }
      b.out.u32.set(b.src.u32.subarray(row * dim, (row + 1) * dim), at * dim);
    }
  },
  embeddingBackward(b, p) {
    const [count, rows, dim] = [n(p, 'count'), n(p, 'rows'), n(p, 'dim')];
    const [out, dy] = [b.outf.f32, b.dy.f32];
    out.fill(0, 0, rows * dim);
    // In position order, each sum rounded to float32 as it goes: the GPU kernel's bits.
    for (let at = 0; at < count; at++) {
      const row = b.index.i32[at];
      if (!(row >= 0 && row < rows)) continue;
      for (let c = 0; c < dim; c++) out[row * dim + c] += dy[at * dim + c];
    }
  },
  adam(b, p, c) {
    const [N, lr, wd] = [n(p, 'n'), f(n(p, 'lr')), f(n(p, 'weightDecay'))];
    const [b1, b2, eps] = [f(n(p, 'beta1')), f(n(p, 'beta2')), f(n(p, 'eps'))];
    const [stepSize, bc2sqrt] = [f(n(p, 'stepSize')), f(n(p, 'biasCorrection2Sqrt'))];
    const [w, g, m, v] = [b.param.f32, b.grad.f32, b.s1.f32, b.s2.f32];
    for (let i = 0; i < N; i++) {
      let wi = w[i];
      let gi = g[i];
      if (c.DECOUPLED) wi = f(wi * f(1 - f(lr * wd)));
      else if (wd !== 0) gi = f(gi + f(wd * wi));
      m[i] = f(m[i] + f(f(gi - m[i]) * f(1 - b1)));
      v[i] = f(f(v[i] * b2) + f(f(f(1 - b2) * gi) * gi));
      const denom = f(f(Math.sqrt(v[i]) / bc2sqrt) + eps);
      w[i] = f(wi - f(stepSize * f(m[i] / denom)));
    }
  },
  sgd(b, p) {
    const [N, lr, wd] = [n(p, 'n'), f(n(p, 'lr')), f(n(p, 'weightDecay'))];
    const [mom, damp] = [f(n(p, 'momentum')), f(n(p, 'dampening'))];
    const [nesterov, first] = [n(p, 'nesterov'), n(p, 'firstStep')];
    const [w, g, buf] = [b.param.f32, b.grad.f32, b.s1?.f32];
    for (let i = 0; i < N; i++) {
      let gi = g[i];
      if (wd !== 0) gi = f(gi + f(wd * w[i]));
      if (mom !== 0) {
        buf[i] = first !== 0 ? gi : f(f(buf[i] * mom) + f(f(1 - damp) * gi));
        gi = nesterov !== 0 ? f(gi + f(mom * buf[i])) : buf[i];
      }
      w[i] = f(w[i] - f(lr * gi));
    }
  },
  rmsprop(b, p) {
    const [N, lr, wd] = [n(p, 'n'), f(n(p, 'lr')), f(n(p, 'weightDecay'))];
    const [alpha, eps, mom] = [f(n(p, 'alpha')), f(n(p, 'eps')), f(n(p, 'momentum'))];
    const [w, g, sq, buf] = [b.param.f32, b.grad.f32, b.s1.f32, b.s2?.f32];
    for (let i = 0; i < N; i++) {
      let gi = g[i];
      if (wd !== 0) gi = f(gi + f(wd * w[i]));
      sq[i] = f(f(sq[i] * alpha) + f(f(f(1 - alpha) * gi) * gi));
      const avg = f(Math.sqrt(sq[i]) + eps);
      if (mom !== 0) {
        buf[i] = f(f(buf[i] * mom) + f(gi / avg));
        w[i] = f(w[i] - f(lr * buf[i]));
      } else {
        w[i] = f(w[i] - f(lr * f(gi / avg)));
      }
    }
  },
  maxPool(b, p) {
    const { H, W, OH, OW, K, S, P } = poolGeometry(p);
    const total = n(p, 'total');
    for (let i = 0; i < total; i++) {
      const [ow, oh, plane] = [i % OW, Math.floor(i / OW) % OH, Math.floor(i / (OW * OH))];
      let best = -Number.MAX_VALUE;
      let at = -1;
      for (let kh = 0; kh < K; kh++)
        for (let kw = 0; kw < K; kw++) {
          const [ih, iw] = [oh * S + kh - P, ow * S + kw - P];
          if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
          const v = b.src.f32[plane * H * W + ih * W + iw];
          if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
            best = v;
            at = ih * W + iw;
          }
        }
      b.out.f32[i] = best;
      b.indices.i32[i] = at;
    }
  },
  maxPoolBackward(b, p) {
    const { H, W, OH, OW } = poolGeometry(p);
    const planes = n(p, 'total') / (H * W);
    b.out.f32.fill(0, 0, planes * H * W);
    for (let o = 0; o < planes * OH * OW; o++) {
      const [plane, at] = [Math.floor(o / (OH * OW)), b.argmax.i32[o]];
      // A window wholly in the padding (index -1) has no input to pass its gradient to.
      if (at >= 0) b.out.f32[plane * H * W + at] += b.src.f32[o];
    }
  },
  avgPool(b, p) {
    const { H, W, OH, OW, K, S, P } = poolGeometry(p);
    const total = n(p, 'total');
    for (let i = 0; i < total; i++) {
      const [ow, oh, plane] = [i % OW, Math.floor(i / OW) % OH, Math.floor(i / (OW * OH))];
      let s = 0;
      for (let kh = 0; kh < K; kh++)
        for (let kw = 0; kw < K; kw++) {
          const [ih, iw] = [oh * S + kh - P, ow * S + kw - P];
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) s += b.src.f32[plane * H * W + ih * W + iw];
        }
      b.out.f32[i] = s / (K * K);
    }
  },
  avgPoolBackward(b, p) {
    const { H, W, OH, OW, K, S, P } = poolGeometry(p);
    const planes = n(p, 'total') / (H * W);
    b.out.f32.fill(0, 0, planes * H * W);
    for (let o = 0; o < planes * OH * OW; o++) {
      const [ow, oh, plane] = [o % OW, Math.floor(o / OW) % OH, Math.floor(o / (OW * OH))];
      const g = b.src.f32[o] / (K * K);
      for (let kh = 0; kh < K; kh++)
        for (let kw = 0; kw < K; kw++) {
          const [ih, iw] = [oh * S + kh - P, ow * S + kw - P];
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) b.out.f32[plane * H * W + ih * W + iw] += g;
        }
    }
  },
  batchNormStats(b, p, c) {
    const { C, count, at } = batchNormGeometry(p);
    const [mean, invstd] = [b.stats.f32, b.stats.f32.subarray(C)];
    const [rm, rv] = [b.runningMean.f32, b.runningVar.f32];
    const eps = n(p, 'eps');
    for (let ch = 0; ch < C; ch++) {
      if (!c.TRAINING) {
        mean[ch] = rm[ch];
        invstd[ch] = 1 / Math.sqrt(rv[ch] + eps);
        continue;
      }
      let s = 0;
      for (let j = 0; j < count; j++) s += b.x.f32[at(ch, j)];
      const m = s / count;
      let q = 0;
      for (let j = 0; j < count; j++) q += (b.x.f32[at(ch, j)] - m) ** 2;
      const variance = q / count;
      mean[ch] = m;
      invstd[ch] = 1 / Math.sqrt(variance + eps);
      const [mom, momVar] = [n(p, 'momentum'), n(p, 'momentumVar')];
      rm[ch] = (1 - mom) * rm[ch] + mom * m;
      rv[ch] = (1 - mom) * rv[ch] + momVar * variance;
    }
  },
  batchNormApply(b, p, c) {
    const { C, S, total } = batchNormGeometry(p);
    const st = b.stats.f32;
    for (let i = 0; i < total; i++) {
      const ch = Math.floor(i / S) % C;
      const y = (b.x.f32[i] - st[ch]) * st[C + ch];
      const v = c.AFFINE ? y * b.weight.f32[ch] + b.bias.f32[ch] : y;
      b.out.f32[i] = c.RELU ? Math.max(v, 0) : v;
    }
  },
  batchNormBackwardSums(b, p, c) {
    const { C, count, at } = batchNormGeometry(p);
    const st = b.stats.f32;
    const grad = batchNormGrad(b, c);
    for (let ch = 0; ch < C; ch++) {
      let [sg, sgx] = [0, 0];
      for (let j = 0; j < count; j++) {
        const i = at(ch, j);
        sg += grad(i);
        sgx += grad(i) * (b.x.f32[i] - st[ch]) * st[C + ch];
      }
      b.dbias.f32[ch] = sg;
      b.dweight.f32[ch] = sgx;
    }
  },
  layerNorm(b, p, c) {
    const { rows, cols, mean, rstd } = layerNormGeometry(b, p);
    const x = b.x.f32;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += x[base + j];
      const m = s / cols;
      let q = 0;
      for (let j = 0; j < cols; j++) q += (x[base + j] - m) ** 2;
      mean[r] = m;
      rstd[r] = 1 / Math.sqrt(q / cols + n(p, 'eps'));
      for (let j = 0; j < cols; j++) {
        const v = (x[base + j] - mean[r]) * rstd[r] * (c.HAS_WEIGHT ? b.weight.f32[j] : 1);
        b.out.f32[base + j] = c.HAS_BIAS ? v + b.bias.f32[j] : v;
      }
    }
  },
  layerNormBackward(b, p, c) {
    const { rows, cols, mean, rstd } = layerNormGeometry(b, p);
    const [x, dy] = [b.x.f32, b.dy.f32];
    const grad = (i: number, j: number) => (c.HAS_WEIGHT ? dy[i] * b.weight.f32[j] : dy[i]);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let [sg, sgx] = [0, 0];
      for (let j = 0; j < cols; j++) {
        sg += grad(base + j, j);
        sgx += grad(base + j, j) * (x[base + j] - mean[r]) * rstd[r];
      }
      for (let j = 0; j < cols; j++) {
        const xhat = (x[base + j] - mean[r]) * rstd[r];
        b.out.f32[base + j] = rstd[r] * (grad(base + j, j) - sg / cols - (xhat * sgx) / cols);
      }
    }
  },
  layerNormBackwardParams(b, p, c) {
    const { rows, cols, mean, rstd } = layerNormGeometry(b, p);
    const [x, dy] = [b.x.f32, b.dy.f32];
    for (let j = 0; j < cols; j++) {
      let [sg, sgx] = [0, 0];
      for (let r = 0; r < rows; r++) {
        const i = r * cols + j;
        sg += dy[i];
        sgx += dy[i] * (x[i] - mean[r]) * rstd[r];
      }
      if (c.HAS_WEIGHT) b.dweight.f32[j] = sgx;
      if (c.HAS_BIAS) b.dbias.f32[j] = sg;
    }
  },
  histogramRange,
  histogramCount,
  batchNormBackward(b, p, c) {
    const { C, S, count, total } = batchNormGeometry(p);
    const st = b.stats.f32;
    const grad = batchNormGrad(b, c);
    for (let i = 0; i < total; i++) {
      const ch = Math.floor(i / S) % C;
      const scale = st[C + ch] * (c.AFFINE ? b.weight.f32[ch] : 1);
      if (!c.TRAINING) {
        b.out.f32[i] = grad(i) * scale;
        continue;
      }
      const xhat = (b.x.f32[i] - st[ch]) * st[C + ch];
      b.out.f32[i] = scale * (grad(i) - b.dbias.f32[ch] / count - xhat * (b.dweight.f32[ch] / count));
    }
  },
};

/** Runs kernels in plain TypeScript on ArrayBuffers. */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  private inUse = 0;

  alloc(bytes: number): Storage {
    const data = new ArrayBuffer(Math.ceil(bytes / 4) * 4);
    this.inUse += data.byteLength;
    const s: CpuStorage = {
      id: nextId++,
      bytes,
      refs: 0,
      f32: new Float32Array(data),
      i32: new Int32Array(data),
      u32: new Uint32Array(data),
      u8: new Uint8Array(data),
    };
    return s;
  }

  /** Slices start anywhere a float does; 16 keeps the vec4 layout of the WebGPU kernels. */
  readonly sliceAlign = 16;

  slice(s: Storage, byteOffset: number, bytes: number): Storage {
    const p = s as CpuStorage;
    if (byteOffset % this.sliceAlign || byteOffset + bytes > p.u8.byteLength) {
      throw new Error(`slice [${byteOffset}, +${bytes}) of a ${p.u8.byteLength}-byte storage`);
    }
    const [buffer, at, words] = [p.u8.buffer, p.u8.byteOffset + byteOffset, Math.ceil(bytes / 4)];
    p.refs++;
    const c: CpuStorage = {
      id: nextId++,
      bytes,
      refs: 0,
      parent: s,
      f32: new Float32Array(buffer, at, words),
      i32: new Int32Array(buffer, at, words),
      u32: new Uint32Array(buffer, at, words),
      u8: new Uint8Array(buffer, at, words * 4),
    };
    return c;
  }

  free(s: Storage): void {
    if (s.parent) {
      if (--s.parent.refs === 0) this.free(s.parent);
      return;
    }
    this.inUse -= (s as CpuStorage).u8.byteLength;
  }

  write(s: Storage, data: ArrayBufferView): void {
    (s as CpuStorage).u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  async read(s: Storage, bytes = s.bytes): Promise<ArrayBuffer> {
    return (s as CpuStorage).u8.slice(0, bytes).buffer;
  }

  run(call: KernelCall): void {
    CPU_KERNELS[call.kernel](call.buffers as unknown as Buffers, call.params, call.constants ?? {});
  }

  flush(): void {}

  async sync(): Promise<void> {}

  /** The cpu backend has one kernel per op: nothing to tune. */
  async tune(): Promise<void> {}

  /** Freed storage goes straight back to the garbage collector: there is no pool. */
  memory(): MemoryInfo {
    return { bytesInUse: this.inUse, bytesPooled: 0, buffers: 0 };
  }

  /** Nothing is kept for reuse. */
  trim(): void {}

  /** Host memory is the garbage collector's: there is nothing to release. */
  dispose(): void {}
}
