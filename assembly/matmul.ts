// The WASM backend's matrix-product kernels (part of assembly/kernels.ts, the module's entry).
//
// Every pointer is a byte address in the imported linear memory, where the wasm backend
// (src/tensor/wasm.ts) keeps every tensor; every count is in elements. Each kernel computes what the
// cpu reference backend (src/tensor/cpu.ts) computes for the same kernel.

import { lanes, madd, putSum, tailMask } from './simd';

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
        c00 = madd(x0, b0, c00);
        c01 = madd(x0, b1, c01);
        c10 = madd(x1, b0, c10);
        c11 = madd(x1, b1, c11);
        c20 = madd(x2, b0, c20);
        c21 = madd(x2, b1, c21);
        c30 = madd(x3, b0, c30);
        c31 = madd(x3, b1, c31);
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
        c0 = madd(f32x4.splat(load<f32>(pa)), b0, c0);
        c1 = madd(f32x4.splat(load<f32>(pa + mStep)), b0, c1);
        c2 = madd(f32x4.splat(load<f32>(pa + 2 * mStep)), b0, c2);
        c3 = madd(f32x4.splat(load<f32>(pa + 3 * mStep)), b0, c3);
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
        c0 = madd(x, v128.load(pb), c0);
        c1 = madd(x, v128.load(pb, 16), c1);
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
        c0 = madd(f32x4.splat(load<f32>(pa)), v128.load(pb), c0);
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

/**
 * `batch` matrix products, z-th: matmul of a + z * zA, b + z * zB into out + z * zOut (byte
 * strides; 0 for an operand shared by every batch). The threaded backend splits a batch over its
 * threads by z, so each product is the same call whatever the split.
 */
export function matmulBatch(
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
  batch: i32,
  zA: usize,
  zB: usize,
  zOut: usize,
): void {
  for (let z = 0; z < batch; z++) {
    matmul(a + <usize>z * zA, b + <usize>z * zB, out + <usize>z * zOut, M, N, K, sAm, sAk, bias, relu);
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
  transposeRows(src, dst, R, C, R);
}

/**
 * The first `rows` rows of a transpose of src[R, C] into dst[C, R] (src and dst pointing at the
 * first of those rows and its column in dst): the threaded backend gives each thread a range of
 * rows, in whole blocks of 4.
 */
export function transposeRows(src: usize, dst: usize, R: i32, C: i32, rows: i32): void {
  const rowS = (<usize>C) << 2;
  const rowD = (<usize>R) << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
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
  for (; r < rows; r++)
    for (let c = 0; c < C; c++)
      store<f32>(dst + <usize>c * rowD + ((<usize>r) << 2), load<f32>(src + <usize>r * rowS + ((<usize>c) << 2)));
}

/** One output of matmulNT: rows pa and pb dotted over L floats, summed over `count` pairs of rows. */
@inline
function dot1(pa: usize, pb: usize, L: i32, count: i32, zA: usize, zB: usize): f32 {
  const body = (<usize>(L & ~3)) << 2;
  const r = L & 3;
  if (L < 4) {
    let s: f32 = 0;
    for (let i = 0; i < count; i++)
      for (let p = 0; p < L; p++)
        s += load<f32>(pa + <usize>i * zA + ((<usize>p) << 2)) * load<f32>(pb + <usize>i * zB + ((<usize>p) << 2));
    return s;
  }
  const mask = tailMask(r);
  let c = f32x4.splat(0);
  for (let i = 0; i < count; i++) {
    const a = pa + <usize>i * zA;
    const b = pb + <usize>i * zB;
    for (let p: usize = 0; p < body; p += 16) c = madd(v128.load(a + p), v128.load(b + p), c);
    if (r) {
      const t = ((<usize>L) << 2) - 16;
      // Both operands masked: a re-read lane of 0 * Inf would be NaN.
      c = madd(v128.and(v128.load(a + t), mask), v128.and(v128.load(b + t), mask), c);
    }
  }
  return lanes(c);
}

/**
 * out[m, n] (+)= the sum over i < count and p < L of a[i, m, p] * b[i, n, p]: products of rows
 * that are both contiguous, as a convolution's weight gradient takes them (a: the columns of
 * `count` images, b: their output gradients; the sum over images runs in registers, no partial
 * products in memory). Strides are in floats: a[i, m, p] = a[i * sAi + m * sAm + p], b likewise,
 * out[m, n] = out[m * sOm + n * sOn]. Blocks of 4 rows of a by 2 rows of b, 8 vector accumulators;
 * every output is computed by the same code whatever the split of the m rows (by 4) over threads.
 */
export function matmulNT(
  a: usize,
  b: usize,
  out: usize,
  M: i32,
  N: i32,
  L: i32,
  count: i32,
  sAi: i32,
  sAm: i32,
  sBi: i32,
  sBn: i32,
  sOm: i32,
  sOn: i32,
  accumulate: bool,
): void {
  const zA = (<usize>sAi) << 2;
  const zB = (<usize>sBi) << 2;
  const rowA = (<usize>sAm) << 2;
  const rowB = (<usize>sBn) << 2;
  const body = (<usize>(L & ~3)) << 2;
  const r = L & 3;
  const mask = tailMask(r);
  const t = ((<usize>L) << 2) - 16;
  let m = 0;
  for (; L >= 4 && m + 4 <= M; m += 4) {
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      let c00 = f32x4.splat(0);
      let c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0);
      let c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0);
      let c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0);
      let c31 = f32x4.splat(0);
      for (let i = 0; i < count; i++) {
        const a0 = a + <usize>i * zA + <usize>m * rowA;
        const b0 = b + <usize>i * zB + <usize>n * rowB;
        // Whole vectors, then (where L is not a whole number of them) the row's last 4 floats
        // with the lanes counted already masked off: the same 8 multiply-adds, written twice.
        for (let p: usize = 0; p < body; p += 16) {
          const x0 = v128.load(b0 + p);
          const x1 = v128.load(b0 + rowB + p);
          const y0 = v128.load(a0 + p);
          const y1 = v128.load(a0 + rowA + p);
          const y2 = v128.load(a0 + 2 * rowA + p);
          const y3 = v128.load(a0 + 3 * rowA + p);
          c00 = madd(y0, x0, c00);
          c01 = madd(y0, x1, c01);
          c10 = madd(y1, x0, c10);
          c11 = madd(y1, x1, c11);
          c20 = madd(y2, x0, c20);
          c21 = madd(y2, x1, c21);
          c30 = madd(y3, x0, c30);
          c31 = madd(y3, x1, c31);
        }
        if (r) {
          const x0 = v128.and(v128.load(b0 + t), mask);
          const x1 = v128.and(v128.load(b0 + rowB + t), mask);
          // Both operands masked: a re-read lane of 0 * Inf would be NaN.
          const y0 = v128.and(v128.load(a0 + t), mask);
          const y1 = v128.and(v128.load(a0 + rowA + t), mask);
          const y2 = v128.and(v128.load(a0 + 2 * rowA + t), mask);
          const y3 = v128.and(v128.load(a0 + 3 * rowA + t), mask);
          c00 = madd(y0, x0, c00);
          c01 = madd(y0, x1, c01);
          c10 = madd(y1, x0, c10);
          c11 = madd(y1, x1, c11);
          c20 = madd(y2, x0, c20);
          c21 = madd(y2, x1, c21);
          c30 = madd(y3, x0, c30);
          c31 = madd(y3, x1, c31);
        }
      }
      const o = out + (((<usize>m * <usize>sOm) + <usize>n * <usize>sOn) << 2);
      const om = (<usize>sOm) << 2;
      const on = (<usize>sOn) << 2;
      putSum(o, lanes(c00), accumulate);
      putSum(o + on, lanes(c01), accumulate);
      putSum(o + om, lanes(c10), accumulate);
      putSum(o + om + on, lanes(c11), accumulate);
      putSum(o + 2 * om, lanes(c20), accumulate);
      putSum(o + 2 * om + on, lanes(c21), accumulate);
      putSum(o + 3 * om, lanes(c30), accumulate);
      putSum(o + 3 * om + on, lanes(c31), accumulate);
    }
    for (; n < N; n++)
      for (let k = 0; k < 4; k++)
        putSum(
          out + ((<usize>(m + k) * <usize>sOm + <usize>n * <usize>sOn) << 2),
          dot1(a + <usize>(m + k) * rowA, b + <usize>n * rowB, L, count, zA, zB),
          accumulate,
        );
  }
  for (; m < M; m++)
    for (let n = 0; n < N; n++)
      putSum(
        out + ((<usize>m * <usize>sOm + <usize>n * <usize>sOn) << 2),
        dot1(a + <usize>m * rowA, b + <usize>n * rowB, L, count, zA, zB),
        accumulate,
      );
}
