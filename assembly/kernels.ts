// Kiln's WASM SIMD kernels (AssemblyScript, compiled by scripts/build-wasm.mjs on `npm ci`).
//
// Every pointer is a byte address in the imported linear memory, where the wasm backend
// (src/tensor/wasm.ts) keeps every tensor; every count is in elements. The kernels compute what the
// cpu reference backend (src/tensor/cpu.ts) computes for the same kernel, 4 floats per
// instruction; the few that cannot match it bit for bit (sums in another order, f32 instead of f64
// intermediates) stay within the tolerance the kernel tests allow every backend.

// Codes shared with src/tensor/kernels.ts (UNARY, BINARY): the backend only calls these kernels
// for the codes listed here and leaves the others to the cpu kernels on views of this memory.
const U_COPY: i32 = 0;
const U_NEG: i32 = 1;
const U_RELU: i32 = 5;
const U_LEAKY_RELU: i32 = 6;
const U_AFFINE: i32 = 11;
const U_ABS: i32 = 12;
const U_CLAMP: i32 = 14;

const B_ADD: i32 = 0;
const B_SUB: i32 = 1;
const B_MUL: i32 = 2;
const B_DIV: i32 = 3;
const B_MAX: i32 = 4;
const B_MIN: i32 = 5;
const B_RELU_GRAD: i32 = 7;
const B_EQ: i32 = 12;
const B_GT: i32 = 13;

// ---------------------------------------------------------------------------------------------
// Matrix products

/** The epilogue of four output columns: bias, then ReLU. */
@inline
function finish(v: v128, bias: usize, relu: bool): v128 {
  if (bias) v = f32x4.add(v, v128.load(bias));
  if (relu) v = f32x4.max(v, f32x4.splat(0));
  return v;
}

@inline
function finish1(v: f32, bias: usize, relu: bool): f32 {
  if (bias) v += load<f32>(bias);
  if (relu) v = max(v, 0);
  return v;
}

/**
 * out[M, N] = A(m, k) B[K, N] (+ bias[N]) (ReLU), where A(m, k) = a[m * sAm + k * sAk]: one kernel
 * for A stored as [M, K] (sAm = K, sAk = 1) and transposed, as [K, M] (sAm = 1, sAk = M). B is
 * row-major [K, N] (the backend transposes a B stored [N, K] first). The output is computed in
 * register blocks of 4 rows by 8 columns: per k, two vectors of B and four scalars of A make eight
 * vector multiply-adds, with the 8 accumulators in registers.
 */
export function matmul(
  a: usize,
  b: usize,
  out: usize,
  M: i32,
  N: i32,
  K: i32,
  sAm: i32,
  sAk: i32,
  bias: usize,
  relu: bool,
): void {
  const rowB = (<usize>N) << 2;
  const kStep = (<usize>sAk) << 2;
  const mStep = (<usize>sAm) << 2;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const a0 = a + <usize>m * mStep;
    const o0 = out + ((<usize>m * <usize>N) << 2);
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      let c00 = f32x4.splat(0);
      let c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0);
      let c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0);
      let c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0);
      let c31 = f32x4.splat(0);
      let pa = a0;
      let pb = b + ((<usize>j) << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const x0 = f32x4.splat(load<f32>(pa));
        const x1 = f32x4.splat(load<f32>(pa + mStep));
        const x2 = f32x4.splat(load<f32>(pa + 2 * mStep));
        const x3 = f32x4.splat(load<f32>(pa + 3 * mStep));
        c00 = f32x4.add(c00, f32x4.mul(x0, b0));
        c01 = f32x4.add(c01, f32x4.mul(x0, b1));
        c10 = f32x4.add(c10, f32x4.mul(x1, b0));
        c11 = f32x4.add(c11, f32x4.mul(x1, b1));
        c20 = f32x4.add(c20, f32x4.mul(x2, b0));
        c21 = f32x4.add(c21, f32x4.mul(x2, b1));
        c30 = f32x4.add(c30, f32x4.mul(x3, b0));
        c31 = f32x4.add(c31, f32x4.mul(x3, b1));
        pa += kStep;
        pb += rowB;
      }
      const bj = bias ? bias + ((<usize>j) << 2) : 0;
      const bj4 = bias ? bj + 16 : 0;
      const o = o0 + ((<usize>j) << 2);
      v128.store(o, finish(c00, bj, relu));
      v128.store(o, finish(c01, bj4, relu), 16);
      v128.store(o + rowB, finish(c10, bj, relu));
      v128.store(o + rowB, finish(c11, bj4, relu), 16);
      v128.store(o + 2 * rowB, finish(c20, bj, relu));
      v128.store(o + 2 * rowB, finish(c21, bj4, relu), 16);
      v128.store(o + 3 * rowB, finish(c30, bj, relu));
      v128.store(o + 3 * rowB, finish(c31, bj4, relu), 16);
    }
    for (; j + 4 <= N; j += 4) {
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let c2 = f32x4.splat(0);
      let c3 = f32x4.splat(0);
      let pa = a0;
      let pb = b + ((<usize>j) << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(pa)), b0));
        c1 = f32x4.add(c1, f32x4.mul(f32x4.splat(load<f32>(pa + mStep)), b0));
        c2 = f32x4.add(c2, f32x4.mul(f32x4.splat(load<f32>(pa + 2 * mStep)), b0));
        c3 = f32x4.add(c3, f32x4.mul(f32x4.splat(load<f32>(pa + 3 * mStep)), b0));
        pa += kStep;
        pb += rowB;
      }
      const bj = bias ? bias + ((<usize>j) << 2) : 0;
      const o = o0 + ((<usize>j) << 2);
      v128.store(o, finish(c0, bj, relu));
      v128.store(o + rowB, finish(c1, bj, relu));
      v128.store(o + 2 * rowB, finish(c2, bj, relu));
      v128.store(o + 3 * rowB, finish(c3, bj, relu));
    }
    for (; j < N; j++) {
      let s0: f32 = 0;
      let s1: f32 = 0;
      let s2: f32 = 0;
      let s3: f32 = 0;
      let pa = a0;
      let pb = b + ((<usize>j) << 2);
      for (let k = 0; k < K; k++) {
        const y = load<f32>(pb);
        s0 += load<f32>(pa) * y;
        s1 += load<f32>(pa + mStep) * y;
        s2 += load<f32>(pa + 2 * mStep) * y;
        s3 += load<f32>(pa + 3 * mStep) * y;
        pa += kStep;
        pb += rowB;
      }
      const bj = bias ? bias + ((<usize>j) << 2) : 0;
      const o = o0 + ((<usize>j) << 2);
      store<f32>(o, finish1(s0, bj, relu));
      store<f32>(o + rowB, finish1(s1, bj, relu));
      store<f32>(o + 2 * rowB, finish1(s2, bj, relu));
      store<f32>(o + 3 * rowB, finish1(s3, bj, relu));
    }
  }
  for (; m < M; m++) {
    const a0 = a + <usize>m * mStep;
    const o0 = out + ((<usize>m * <usize>N) << 2);
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let pa = a0;
      let pb = b + ((<usize>j) << 2);
      for (let k = 0; k < K; k++) {
        const x = f32x4.splat(load<f32>(pa));
        c0 = f32x4.add(c0, f32x4.mul(x, v128.load(pb)));
        c1 = f32x4.add(c1, f32x4.mul(x, v128.load(pb, 16)));
        pa += kStep;
        pb += rowB;
      }
      const bj = bias ? bias + ((<usize>j) << 2) : 0;
      const o = o0 + ((<usize>j) << 2);
      v128.store(o, finish(c0, bj, relu));
      v128.store(o, finish(c1, bias ? bj + 16 : 0, relu), 16);
    }
    for (; j + 4 <= N; j += 4) {
      let c0 = f32x4.splat(0);
      let pa = a0;
      let pb = b + ((<usize>j) << 2);
      for (let k = 0; k < K; k++) {
        c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(pa)), v128.load(pb)));
        pa += kStep;
        pb += rowB;
      }
      v128.store(o0 + ((<usize>j) << 2), finish(c0, bias ? bias + ((<usize>j) << 2) : 0, relu));
    }
    for (; j < N; j++) {
      let s: f32 = 0;
      let pa = a0;
      let pb = b + ((<usize>j) << 2);
      for (let k = 0; k < K; k++) {
        s += load<f32>(pa) * load<f32>(pb);
        pa += kStep;
        pb += rowB;
      }
      store<f32>(o0 + ((<usize>j) << 2), finish1(s, bias ? bias + ((<usize>j) << 2) : 0, relu));
    }
  }
}

/** sums[m] = the sum over k of A(m, k), A addressed as in matmul (rounded to f32 at each add, as the cpu kernel). */
export function rowSums(a: usize, sums: usize, M: i32, K: i32, sAm: i32, sAk: i32): void {
  for (let m = 0; m < M; m++) {
    let s: f32 = 0;
    let p = a + (<usize>m * <usize>sAm << 2);
    for (let k = 0; k < K; k++) {
      s += load<f32>(p);
      p += (<usize>sAk) << 2;
    }
    store<f32>(sums + ((<usize>m) << 2), s);
  }
}

/** dst[C, R] = src[R, C] transposed, in 4 by 4 blocks (each a register transpose) and a scalar rim. */
export function transpose(src: usize, dst: usize, R: i32, C: i32): void {
  const rowS = (<usize>C) << 2;
  const rowD = (<usize>R) << 2;
  let r = 0;
  for (; r + 4 <= R; r += 4) {
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const p = src + <usize>r * rowS + ((<usize>c) << 2);
      const x0 = v128.load(p);
      const x1 = v128.load(p + rowS);
      const x2 = v128.load(p + 2 * rowS);
      const x3 = v128.load(p + 3 * rowS);
      // [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3] -> columns.
      const t0 = v128.shuffle<u32>(x0, x1, 0, 4, 1, 5);
      const t1 = v128.shuffle<u32>(x0, x1, 2, 6, 3, 7);
      const t2 = v128.shuffle<u32>(x2, x3, 0, 4, 1, 5);
      const t3 = v128.shuffle<u32>(x2, x3, 2, 6, 3, 7);
      const q = dst + <usize>c * rowD + ((<usize>r) << 2);
      v128.store(q, v128.shuffle<u64>(t0, t2, 0, 2));
      v128.store(q + rowD, v128.shuffle<u64>(t0, t2, 1, 3));
      v128.store(q + 2 * rowD, v128.shuffle<u64>(t1, t3, 0, 2));
      v128.store(q + 3 * rowD, v128.shuffle<u64>(t1, t3, 1, 3));
    }
    for (; c < C; c++)
      for (let i = 0; i < 4; i++)
        store<f32>(dst + <usize>c * rowD + ((<usize>(r + i)) << 2), load<f32>(src + <usize>(r + i) * rowS + ((<usize>c) << 2)));
  }
  for (; r < R; r++)
    for (let c = 0; c < C; c++)
      store<f32>(dst + <usize>c * rowD + ((<usize>r) << 2), load<f32>(src + <usize>r * rowS + ((<usize>c) << 2)));
}

// ---------------------------------------------------------------------------------------------
// Elementwise

@inline
function unary4(op: i32, x: v128, va: v128, vb: v128): v128 {
  const zero = f32x4.splat(0);
  if (op == U_COPY) return x;
  if (op == U_NEG) return f32x4.neg(x);
  if (op == U_RELU) return f32x4.max(x, zero);
  if (op == U_LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, va), f32x4.gt(x, zero));
  if (op == U_AFFINE) return f32x4.add(f32x4.mul(x, va), vb);
  if (op == U_ABS) return f32x4.abs(x);
  if (op == U_CLAMP) return f32x4.min(f32x4.max(x, va), vb);
  unreachable();
  return x;
}

@inline
function unary1(op: i32, x: f32, alpha: f32, beta: f32): f32 {
  if (op == U_COPY) return x;
  if (op == U_NEG) return -x;
  if (op == U_RELU) return max(x, 0);
  if (op == U_LEAKY_RELU) return x > 0 ? x : x * alpha;
  if (op == U_AFFINE) return x * alpha + beta;
  if (op == U_ABS) return abs(x);
  if (op == U_CLAMP) return min(max(x, alpha), beta);
  unreachable();
  return x;
}

/** out[i] = op(a[i]) over n contiguous elements, for the unary codes listed at the top. */
export function unary(op: i32, a: usize, out: usize, n: i32, alpha: f32, beta: f32): void {
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) v128.store(out + i, unary4(op, v128.load(a + i), va, vb));
  for (; i < end; i += 4) store<f32>(out + i, unary1(op, load<f32>(a + i), alpha, beta));
}

/** unary over rows of `cols` contiguous elements, row r of a starting at element offsets[r] (a strided copy, a permute). */
export function unaryRows(op: i32, a: usize, out: usize, rows: i32, cols: i32, offsets: usize, alpha: f32, beta: f32): void {
  for (let r = 0; r < rows; r++) {
    const pa = a + ((<usize>load<i32>(offsets + ((<usize>r) << 2))) << 2);
    unary(op, pa, out + ((<usize>r * <usize>cols) << 2), cols, alpha, beta);
  }
}

@inline
function binary4(op: i32, x: v128, y: v128): v128 {
  if (op == B_ADD) return f32x4.add(x, y);
  if (op == B_SUB) return f32x4.sub(x, y);
  if (op == B_MUL) return f32x4.mul(x, y);
  if (op == B_DIV) return f32x4.div(x, y);
  if (op == B_MAX) return f32x4.max(x, y);
  if (op == B_MIN) return f32x4.min(x, y);
  if (op == B_RELU_GRAD) return v128.and(x, f32x4.gt(y, f32x4.splat(0)));
  if (op == B_EQ) return v128.and(f32x4.splat(1), f32x4.eq(x, y));
  if (op == B_GT) return v128.and(f32x4.splat(1), f32x4.gt(x, y));
  unreachable();
  return x;
}

@inline
function binary1(op: i32, x: f32, y: f32): f32 {
  if (op == B_ADD) return x + y;
  if (op == B_SUB) return x - y;
  if (op == B_MUL) return x * y;
  if (op == B_DIV) return x / y;
  if (op == B_MAX) return max(x, y);
  if (op == B_MIN) return min(x, y);
  if (op == B_RELU_GRAD) return y > 0 ? x : 0;
  if (op == B_EQ) return x == y ? 1 : 0;
  if (op == B_GT) return x > y ? 1 : 0;
  unreachable();
  return x;
}

/** out[i] = op(a[i], b[i]) over n contiguous elements. */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) v128.store(out + i, binary4(op, v128.load(a + i), v128.load(b + i)));
  for (; i < end; i += 4) store<f32>(out + i, binary1(op, load<f32>(a + i), load<f32>(b + i)));
}

/**
 * A strided binary op, a row (the output's last dim, `cols` long) at a time: row r of a starts at
 * element offsets[2r] and of b at offsets[2r + 1] (i32 pairs the backend computes from the
 * strides), and each operand steps 1 along the row or 0 (one value broadcast along it: a bias per
 * channel, a max per row).
 */
export function binaryRows(
  op: i32,
  a: usize,
  b: usize,
  out: usize,
  rows: i32,
  cols: i32,
  offsets: usize,
  stepA: i32,
  stepB: i32,
): void {
  const end = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const pa = a + ((<usize>load<i32>(offsets + ((<usize>r) << 3))) << 2);
    const pb = b + ((<usize>load<i32>(offsets + ((<usize>r) << 3), 4)) << 2);
    const po = out + ((<usize>r * <usize>cols) << 2);
    let i: usize = 0;
    if (stepA == 1 && stepB == 1) {
      for (; i + 16 <= end; i += 16) v128.store(po + i, binary4(op, v128.load(pa + i), v128.load(pb + i)));
      for (; i < end; i += 4) store<f32>(po + i, binary1(op, load<f32>(pa + i), load<f32>(pb + i)));
    } else if (stepA == 1) {
      const s = load<f32>(pb);
      const y = f32x4.splat(s);
      for (; i + 16 <= end; i += 16) v128.store(po + i, binary4(op, v128.load(pa + i), y));
      for (; i < end; i += 4) store<f32>(po + i, binary1(op, load<f32>(pa + i), s));
    } else if (stepB == 1) {
      const s = load<f32>(pa);
      const x = f32x4.splat(s);
      for (; i + 16 <= end; i += 16) v128.store(po + i, binary4(op, x, v128.load(pb + i)));
      for (; i < end; i += 4) store<f32>(po + i, binary1(op, s, load<f32>(pb + i)));
    } else {
      const v = binary1(op, load<f32>(pa), load<f32>(pb));
      for (; i < end; i += 4) store<f32>(po + i, v);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions (sums, accumulated in f64 as the cpu kernel does)

/**
 * out[o, k] = scale * the sum over j of x[o, j, k] (squared when `squares`), x laid out as
 * [outer, size, inner]. Inner 1 sums a contiguous row; wider inners sum rows of `inner`
 * contiguous elements, two lanes of f64 at a time.
 */
export function reduceSum(x: usize, out: usize, outer: i32, size: i32, inner: i32, scale: f64, squares: bool): void {
  for (let o = 0; o < outer; o++) {
    const base = x + ((<usize>o * <usize>size * <usize>inner) << 2);
    const dst = out + ((<usize>o * <usize>inner) << 2);
    if (inner == 1) {
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let j = 0;
      for (; j + 4 <= size; j += 4) {
        const v = v128.load(base + ((<usize>j) << 2));
        let lo = f64x2.promote_low_f32x4(v);
        let hi = f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1));
        if (squares) {
          lo = f64x2.mul(lo, lo);
          hi = f64x2.mul(hi, hi);
        }
        s0 = f64x2.add(s0, lo);
        s1 = f64x2.add(s1, hi);
      }
      const t = f64x2.add(s0, s1);
      let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
      for (; j < size; j++) {
        const e = <f64>load<f32>(base + ((<usize>j) << 2));
        s += squares ? e * e : e;
      }
      store<f32>(dst, <f32>(s * scale));
      continue;
    }
    let k = 0;
    for (; k + 4 <= inner; k += 4) {
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let p = base + ((<usize>k) << 2);
      for (let j = 0; j < size; j++) {
        const v = v128.load(p);
        let lo = f64x2.promote_low_f32x4(v);
        let hi = f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1));
        if (squares) {
          lo = f64x2.mul(lo, lo);
          hi = f64x2.mul(hi, hi);
        }
        s0 = f64x2.add(s0, lo);
        s1 = f64x2.add(s1, hi);
        p += (<usize>inner) << 2;
      }
      const sc = f64x2.splat(scale);
      v128.store(dst + ((<usize>k) << 2), f32x4.demote_f64x2_zero(f64x2.mul(s0, sc)));
      v128.store64_lane(dst + ((<usize>k) << 2), f32x4.demote_f64x2_zero(f64x2.mul(s1, sc)), 0, 8);
    }
    for (; k < inner; k++) {
      let s: f64 = 0;
      let p = base + ((<usize>k) << 2);
      for (let j = 0; j < size; j++) {
        const e = <f64>load<f32>(p);
        s += squares ? e * e : e;
        p += (<usize>inner) << 2;
      }
      store<f32>(dst + ((<usize>k) << 2), <f32>(s * scale));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizers: the fused updates of optim.wgsl, every step rounded to f32 as the cpu kernel rounds it.

/** Adam / AdamW (decoupled) over n parameters. */
export function adam(
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  lr: f32,
  wd: f32,
  b1: f32,
  b2: f32,
  eps: f32,
  stepSize: f32,
  bc2sqrt: f32,
  decoupled: bool,
): void {
  const decay = f32x4.splat(<f32>1 - lr * wd);
  const vwd = f32x4.splat(wd);
  const c1 = f32x4.splat(<f32>1 - b1);
  const vb2 = f32x4.splat(b2);
  const c2 = f32x4.splat(<f32>1 - b2);
  const veps = f32x4.splat(eps);
  const vstep = f32x4.splat(stepSize);
  const vbc = f32x4.splat(bc2sqrt);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    let wi = v128.load(w + i);
    let gi = v128.load(g + i);
    if (decoupled) wi = f32x4.mul(wi, decay);
    else if (wd != 0) gi = f32x4.add(gi, f32x4.mul(vwd, wi));
    let mi = v128.load(m + i);
    mi = f32x4.add(mi, f32x4.mul(f32x4.sub(gi, mi), c1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + i), vb2), f32x4.mul(f32x4.mul(c2, gi), gi));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vbc), veps);
    v128.store(m + i, mi);
    v128.store(v + i, vi);
    v128.store(w + i, f32x4.sub(wi, f32x4.mul(vstep, f32x4.div(mi, denom))));
  }
  for (; i < end; i += 4) {
    let wi = load<f32>(w + i);
    let gi = load<f32>(g + i);
    if (decoupled) wi = wi * (<f32>1 - lr * wd);
    else if (wd != 0) gi = gi + wd * wi;
    let mi = load<f32>(m + i);
    mi = mi + (gi - mi) * (<f32>1 - b1);
    const vi = load<f32>(v + i) * b2 + (<f32>1 - b2) * gi * gi;
    const denom = sqrt<f32>(vi) / bc2sqrt + eps;
    store<f32>(m + i, mi);
    store<f32>(v + i, vi);
    store<f32>(w + i, wi - stepSize * (mi / denom));
  }
}

/** SGD with optional weight decay, momentum (buf), dampening and Nesterov. */
export function sgd(
  w: usize,
  g: usize,
  buf: usize,
  n: i32,
  lr: f32,
  wd: f32,
  mom: f32,
  damp: f32,
  nesterov: bool,
  first: bool,
): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(wd);
  const vmom = f32x4.splat(mom);
  const vdamp = f32x4.splat(<f32>1 - damp);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    const wi = v128.load(w + i);
    let gi = v128.load(g + i);
    if (wd != 0) gi = f32x4.add(gi, f32x4.mul(vwd, wi));
    if (mom != 0) {
      const bi = first ? gi : f32x4.add(f32x4.mul(v128.load(buf + i), vmom), f32x4.mul(vdamp, gi));
      v128.store(buf + i, bi);
      gi = nesterov ? f32x4.add(gi, f32x4.mul(vmom, bi)) : bi;
    }
    v128.store(w + i, f32x4.sub(wi, f32x4.mul(vlr, gi)));
  }
  for (; i < end; i += 4) {
    const wi = load<f32>(w + i);
    let gi = load<f32>(g + i);
    if (wd != 0) gi = gi + wd * wi;
    if (mom != 0) {
      const bi = first ? gi : load<f32>(buf + i) * mom + (<f32>1 - damp) * gi;
      store<f32>(buf + i, bi);
      gi = nesterov ? gi + mom * bi : bi;
    }
    store<f32>(w + i, wi - lr * gi);
  }
}

/** RMSprop with optional weight decay and momentum (buf). */
export function rmsprop(
  w: usize,
  g: usize,
  sq: usize,
  buf: usize,
  n: i32,
  lr: f32,
  wd: f32,
  alpha: f32,
  eps: f32,
  mom: f32,
): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(wd);
  const va = f32x4.splat(alpha);
  const c = f32x4.splat(<f32>1 - alpha);
  const veps = f32x4.splat(eps);
  const vmom = f32x4.splat(mom);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    const wi = v128.load(w + i);
    let gi = v128.load(g + i);
    if (wd != 0) gi = f32x4.add(gi, f32x4.mul(vwd, wi));
    const si = f32x4.add(f32x4.mul(v128.load(sq + i), va), f32x4.mul(f32x4.mul(c, gi), gi));
    v128.store(sq + i, si);
    const avg = f32x4.add(f32x4.sqrt(si), veps);
    if (mom != 0) {
      const bi = f32x4.add(f32x4.mul(v128.load(buf + i), vmom), f32x4.div(gi, avg));
      v128.store(buf + i, bi);
      v128.store(w + i, f32x4.sub(wi, f32x4.mul(vlr, bi)));
    } else {
      v128.store(w + i, f32x4.sub(wi, f32x4.mul(vlr, f32x4.div(gi, avg))));
    }
  }
  for (; i < end; i += 4) {
    const wi = load<f32>(w + i);
    let gi = load<f32>(g + i);
    if (wd != 0) gi = gi + wd * wi;
    const si = load<f32>(sq + i) * alpha + (<f32>1 - alpha) * gi * gi;
    store<f32>(sq + i, si);
    const avg = sqrt<f32>(si) + eps;
    if (mom != 0) {
      const bi = load<f32>(buf + i) * mom + gi / avg;
      store<f32>(buf + i, bi);
      store<f32>(w + i, wi - lr * bi);
    } else {
      store<f32>(w + i, wi - lr * (gi / avg));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Convolution's column matrices

/**
 * im2col: out[n, (c, kh, kw), (oh, ow)] = the input pixel under that kernel tap, 0 in the padding,
 * for `images` images of [C, H, W]; a row of OW outputs at a time, no division per element.
 */
export function im2col(
  src: usize,
  out: usize,
  images: i32,
  C: i32,
  H: i32,
  W: i32,
  KH: i32,
  KW: i32,
  OH: i32,
  OW: i32,
  S: i32,
  P: i32,
): void {
  let o = out;
  for (let nn = 0; nn < images; nn++)
    for (let c = 0; c < C; c++) {
      const plane = src + ((<usize>(nn * C + c) * <usize>H * <usize>W) << 2);
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++)
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - P;
            if (ih < 0 || ih >= H) {
              memory.fill(o, 0, (<usize>OW) << 2);
              o += (<usize>OW) << 2;
              continue;
            }
            const row = plane + ((<usize>ih * <usize>W) << 2);
            if (S == 1 && kw - P >= 0 && OW - 1 + kw - P < W) {
              memory.copy(o, row + ((<usize>(kw - P)) << 2), (<usize>OW) << 2);
              o += (<usize>OW) << 2;
              continue;
            }
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - P;
              store<f32>(o, iw >= 0 && iw < W ? load<f32>(row + ((<usize>iw) << 2)) : 0);
              o += 4;
            }
          }
    }
}

/** col2im: im2col's adjoint, each column entry added into the pixel it was read from (out zeroed first). */
export function col2im(
  src: usize,
  out: usize,
  images: i32,
  C: i32,
  H: i32,
  W: i32,
  KH: i32,
  KW: i32,
  OH: i32,
  OW: i32,
  S: i32,
  P: i32,
): void {
  memory.fill(out, 0, (<usize>images * <usize>C * <usize>H * <usize>W) << 2);
  let s = src;
  for (let nn = 0; nn < images; nn++)
    for (let c = 0; c < C; c++) {
      const plane = out + ((<usize>(nn * C + c) * <usize>H * <usize>W) << 2);
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++)
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - P;
            if (ih < 0 || ih >= H) {
              s += (<usize>OW) << 2;
              continue;
            }
            const row = plane + ((<usize>ih * <usize>W) << 2);
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - P;
              if (iw >= 0 && iw < W) {
                const p = row + ((<usize>iw) << 2);
                store<f32>(p, load<f32>(p) + load<f32>(s));
              }
              s += 4;
            }
          }
    }
}

// ---------------------------------------------------------------------------------------------
// Pooling and batch norm (x laid out [N, C, S], S the pixels of a channel)

/** Max pooling of `planes` planes of [H, W]: the max of each window (NaN wins) and its index in the plane. */
export function maxPool(
  src: usize,
  out: usize,
  indices: usize,
  planes: i32,
  H: i32,
  W: i32,
  OH: i32,
  OW: i32,
  K: i32,
  S: i32,
  P: i32,
): void {
  let o: usize = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = src + ((<usize>plane * <usize>H * <usize>W) << 2);
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let best: f32 = -Infinity; // what the cpu kernel stores for a window wholly in the padding
        let at = -1;
        for (let kh = 0; kh < K; kh++) {
          const ih = oh * S + kh - P;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < K; kw++) {
            const iw = ow * S + kw - P;
            if (iw < 0 || iw >= W) continue;
            const v = load<f32>(base + ((<usize>(ih * W + iw)) << 2));
            if (at < 0 || v > best || (isNaN(v) && !isNaN(best))) {
              best = v;
              at = ih * W + iw;
            }
          }
        }
        store<f32>(out + o, best);
        store<i32>(indices + o, at);
        o += 4;
      }
  }
}

/**
 * Training batch norm's statistics per channel (sums in f64, as the cpu kernel): stats[c] = mean,
 * stats[C + c] = 1 / sqrt(biased variance + eps), and the running mean and variance updated with
 * `momentum` (momentumVar carries the unbiased variance's factor).
 */
export function batchNormStats(
  x: usize,
  stats: usize,
  runningMean: usize,
  runningVar: usize,
  N: i32,
  C: i32,
  S: i32,
  eps: f64,
  momentum: f64,
  momentumVar: f64,
): void {
  const count = <f64>N * <f64>S;
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) {
      let p = x + ((<usize>(n * C + c) * <usize>S) << 2);
      for (let j = 0; j < S; j++) {
        s += <f64>load<f32>(p);
        p += 4;
      }
    }
    const m = s / count;
    let q: f64 = 0;
    for (let n = 0; n < N; n++) {
      let p = x + ((<usize>(n * C + c) * <usize>S) << 2);
      for (let j = 0; j < S; j++) {
        const d = <f64>load<f32>(p) - m;
        q += d * d;
        p += 4;
      }
    }
    const variance = q / count;
    const at = (<usize>c) << 2;
    store<f32>(stats + at, <f32>m);
    store<f32>(stats + ((<usize>C) << 2) + at, <f32>(1 / Math.sqrt(variance + eps)));
    store<f32>(runningMean + at, <f32>((1 - momentum) * <f64>load<f32>(runningMean + at) + momentum * m));
    store<f32>(runningVar + at, <f32>((1 - momentum) * <f64>load<f32>(runningVar + at) + momentumVar * variance));
  }
}

/** out = (x - mean) * invstd (* weight + bias) (ReLU), per channel, 4 pixels at a time. */
export function batchNormApply(
  x: usize,
  stats: usize,
  weight: usize,
  bias: usize,
  out: usize,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  const zero = f32x4.splat(0);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const m = load<f32>(stats + ((<usize>c) << 2));
      const is = load<f32>(stats + ((<usize>(C + c)) << 2));
      const w: f32 = weight ? load<f32>(weight + ((<usize>c) << 2)) : 1;
      const b: f32 = bias ? load<f32>(bias + ((<usize>c) << 2)) : 0;
      const vm = f32x4.splat(m);
      const vis = f32x4.splat(is);
      const vw = f32x4.splat(w);
      const vb = f32x4.splat(b);
      const off = (<usize>(n * C + c) * <usize>S) << 2;
      const end = (<usize>S) << 2;
      let i: usize = 0;
      for (; i + 16 <= end; i += 16) {
        let v = f32x4.mul(f32x4.sub(v128.load(x + off + i), vm), vis);
        if (weight) v = f32x4.add(f32x4.mul(v, vw), vb);
        if (relu) v = f32x4.max(v, zero);
        v128.store(out + off + i, v);
      }
      for (; i < end; i += 4) {
        let v = (load<f32>(x + off + i) - m) * is;
        if (weight) v = v * w + b;
        if (relu) v = max<f32>(v, 0);
        store<f32>(out + off + i, v);
      }
    }
}

/** The upstream gradient at byte offset i, through the fused ReLU (masked where its output y was not > 0). */
@inline
function bnGrad(dy: usize, y: usize, i: usize, relu: bool): f32 {
  const g = load<f32>(dy + i);
  return relu && !(load<f32>(y + i) > 0) ? 0 : g;
}

/** Batch norm backward's per-channel sums: dbias = sum(g), dweight = sum(g * xhat) (f64, as the cpu kernel). */
export function batchNormBackwardSums(
  x: usize,
  dy: usize,
  y: usize,
  stats: usize,
  dweight: usize,
  dbias: usize,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  for (let c = 0; c < C; c++) {
    const m = <f64>load<f32>(stats + ((<usize>c) << 2));
    const is = <f64>load<f32>(stats + ((<usize>(C + c)) << 2));
    let sg: f64 = 0;
    let sgx: f64 = 0;
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>S) << 2;
      for (let j = 0; j < S; j++) {
        const i = off + ((<usize>j) << 2);
        const g = <f64>bnGrad(dy, y, i, relu);
        sg += g;
        sgx += g * (<f64>load<f32>(x + i) - m) * is;
      }
    }
    store<f32>(dbias + ((<usize>c) << 2), <f32>sg);
    store<f32>(dweight + ((<usize>c) << 2), <f32>sgx);
  }
}

/** Batch norm backward (training): dx = scale * (g - dbias / count - xhat * dweight / count). */
export function batchNormBackward(
  x: usize,
  dy: usize,
  y: usize,
  stats: usize,
  weight: usize,
  dweight: usize,
  dbias: usize,
  out: usize,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  const count = <f64>N * <f64>S;
  for (let c = 0; c < C; c++) {
    const at = (<usize>c) << 2;
    const m = <f64>load<f32>(stats + at);
    const is = <f64>load<f32>(stats + ((<usize>C) << 2) + at);
    const scale = is * (weight ? <f64>load<f32>(weight + at) : 1);
    const db = <f64>load<f32>(dbias + at) / count;
    const dw = <f64>load<f32>(dweight + at) / count;
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>S) << 2;
      for (let j = 0; j < S; j++) {
        const i = off + ((<usize>j) << 2);
        const xhat = (<f64>load<f32>(x + i) - m) * is;
        store<f32>(out + i, <f32>(scale * (<f64>bnGrad(dy, y, i, relu) - db - xhat * dw)));
      }
    }
  }
}
