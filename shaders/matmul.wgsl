// Batched matrix product out[b] = op(A[b]) @ op(B[b]) (+ bias) (then ReLU), where op transposes
// when TRANS_A / TRANS_B are set, so x @ W^T (Linear) and its gradients need no transpose copies.
// With ROW_SUMS (one batch), also sums[m] = sum over k of op(A)[m, k], added in k order like the
// products: Linear's bias gradient comes out of the launch that computes its weight gradient.
// A 64x64 output tile per workgroup of 16x16 threads, each thread holding a 4x4 block in
// registers, K walked in slices of 16 staged through workgroup memory. Thread (tx, ty) owns rows
// ty + 16i and columns tx + 16j, so neighbouring threads read neighbouring words everywhere.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  strideA: u32,
  strideB: u32,
  offsetA: u32,
  offsetB: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> sums: array<f32>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
override ROW_SUMS: bool = false;

// A workgroup's output tile is TILE (kernels.ts's SIZES) square: 16 threads times 4 each way.
const BK = 16u;

var<workgroup> As: array<array<f32, TILE>, BK>;
var<workgroup> Bs: array<array<f32, TILE>, BK>;

fn load_a(base: u32, m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return a[base + k * p.M + m]; }
  return a[base + m * p.K + k];
}

fn load_b(base: u32, k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (TRANS_B) { return b[base + n * p.K + k]; }
  return b[base + k * p.N + n];
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * 16u + tx;
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let baseA = p.offsetA + wid.z * p.strideA;
  let baseB = p.offsetB + wid.z * p.strideB;
  var acc: array<array<f32, 4>, 4>;
  var rowSums: array<f32, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // 1024 values of each tile, 4 per thread. Consecutive threads take consecutive elements along
    // whichever axis is contiguous in memory, so the global reads coalesce.
    for (var r = 0u; r < 4u; r++) {
      let e = t + r * 256u;
      if (TRANS_A) {
        As[e / 64u][e % 64u] = load_a(baseA, row0 + e % 64u, k0 + e / 64u);
      } else {
        As[e % 16u][e / 16u] = load_a(baseA, row0 + e / 16u, k0 + e % 16u);
      }
      if (TRANS_B) {
        Bs[e % 16u][e / 16u] = load_b(baseB, k0 + e % 16u, col0 + e / 16u);
      } else {
        Bs[e / 64u][e % 64u] = load_b(baseB, k0 + e / 64u, col0 + e % 64u);
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        av[i] = As[kk][ty + 16u * i];
        bv[i] = Bs[kk][tx + 16u * i];
      }
      if (ROW_SUMS) {
        for (var i = 0u; i < 4u; i++) { rowSums[i] += av[i]; }
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }
  let baseOut = wid.z * p.M * p.N;
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + ty + 16u * i;
    if (m >= p.M) { continue; }
    if (ROW_SUMS && wid.x == 0u && tx == 0u) { sums[m] = rowSums[i]; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + tx + 16u * j;
      if (n >= p.N) { continue; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[n]; }
      if (RELU) { v = max(v, 0.0); }
      out[baseOut + m * p.N + n] = v;
    }
  }
}

// A larger tile for GPUs, for big products: 128x128 outputs per workgroup of 256 threads, each
// thread an 8x8 block (rows 4ty..4ty+3 and 64+4ty.., columns likewise), K in slices of 8. Twice the
// multiply-adds per workgroup-memory read of the 64x64 kernel, and the reads are vec4s. The
// autotuner times it against the others on each shape.
const BIG_K = 8u;

var<workgroup> Ab: array<array<vec4f, 32>, 8>;
var<workgroup> Bb: array<array<vec4f, 32>, 8>;

@compute @workgroup_size(16, 16)
fn matmul_big(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * 16u + tx;
  let row0 = wid.y * BIG_TILE;
  let col0 = wid.x * BIG_TILE;
  let baseA = p.offsetA + wid.z * p.strideA;
  let baseB = p.offsetB + wid.z * p.strideB;
  // acc[2i] holds row i's first four columns, acc[2i + 1] its other four.
  var acc: array<vec4f, 16>;
  var rowSums: array<f32, 8>;
  for (var k0 = 0u; k0 < p.K; k0 += BIG_K) {
    // Each tile is 8 x 128 values, 4 per thread, read along whichever axis is contiguous in
    // memory so that neighbouring threads read neighbouring words.
    let kk = t / 32u;
    let q = t % 32u;
    let m = t / 2u;
    let kq = (t % 2u) * 4u;
    if (TRANS_A) {
      Ab[kk][q] = vec4f(
        load_a(baseA, row0 + 4u * q, k0 + kk),
        load_a(baseA, row0 + 4u * q + 1u, k0 + kk),
        load_a(baseA, row0 + 4u * q + 2u, k0 + kk),
        load_a(baseA, row0 + 4u * q + 3u, k0 + kk));
    } else {
      for (var j = 0u; j < 4u; j++) { Ab[kq + j][m / 4u][m % 4u] = load_a(baseA, row0 + m, k0 + kq + j); }
    }
    if (TRANS_B) {
      for (var j = 0u; j < 4u; j++) { Bb[kq + j][m / 4u][m % 4u] = load_b(baseB, k0 + kq + j, col0 + m); }
    } else {
      Bb[kk][q] = vec4f(
        load_b(baseB, k0 + kk, col0 + 4u * q),
        load_b(baseB, k0 + kk, col0 + 4u * q + 1u),
        load_b(baseB, k0 + kk, col0 + 4u * q + 2u),
        load_b(baseB, k0 + kk, col0 + 4u * q + 3u));
    }
    workgroupBarrier();
    for (var k = 0u; k < BIG_K; k++) {
      let a0 = Ab[k][ty];
      let a1 = Ab[k][16u + ty];
      let b0 = Bb[k][tx];
      let b1 = Bb[k][16u + tx];
      let av = array(a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w);
      if (ROW_SUMS) {
        for (var i = 0u; i < 8u; i++) { rowSums[i] += av[i]; }
      }
      for (var i = 0u; i < 8u; i++) {
        acc[2u * i] = fma(vec4f(av[i]), b0, acc[2u * i]);
        acc[2u * i + 1u] = fma(vec4f(av[i]), b1, acc[2u * i + 1u]);
      }
    }
    workgroupBarrier();
  }
  let base = wid.z * p.M * p.N;
  for (var i = 0u; i < 8u; i++) {
    // Rows 4ty + i for i < 4, then 64 + 4ty + (i - 4).
    let m = row0 + 4u * ty + i % 4u + 64u * (i / 4u);
    if (ROW_SUMS && wid.x == 0u && tx == 0u && m < p.M) { sums[m] = rowSums[i]; }
    store_out(base, m, col0 + 4u * tx, acc[2u * i]);
    store_out(base, m, col0 + 64u + 4u * tx, acc[2u * i + 1u]);
  }
}

// A variant without workgroup memory for CPU adapters (lavapipe, SwiftShader), where barriers
// and shared arrays are emulated and cost more than they save. Each invocation computes an 8x8
// block straight from global memory: loads are what cost most there (each is bounds-checked per
// lane), and a block of 8x8 does 64 multiply-adds for every 16 loads, against 16 for 8 at 4x4.
// The block is written out rather than looped over, because the drivers keep a function-local
// array in registers only when every index is a constant. Rows and columns past the edge are
// clamped rather than branched on: their results are never stored, and branch-free loads
// vectorise. The autotuner (src/tensor/autotune.ts) picks WG per shape.
override WG: u32 = 64;

fn store_out(base: u32, m: u32, n0: u32, v: vec4f) {
  if (m >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n >= p.N) { return; }
    var x = v[j];
    if (HAS_BIAS) { x += bias[n]; }
    if (RELU) { x = max(x, 0.0); }
    out[base + m * p.N + n] = x;
  }
}

// One k of the 8x8 block: acc += op(A)[rows, k] (outer) op(B)[k, cols], and the rows' sums of
// op(A) in rs with ROW_SUMS. r and c hold the rows' and columns' base offsets, ka and kb the
// offsets of this k. Drivers inline it, so acc stays in registers.
fn direct_step(acc: ptr<function, array<vec4f, 16>>, rs: ptr<function, array<vec4f, 2>>, r: array<u32, 8>, c: array<u32, 8>, ka: u32, kb: u32) {
  let b0 = vec4f(b[c[0] + kb], b[c[1] + kb], b[c[2] + kb], b[c[3] + kb]);
  let b1 = vec4f(b[c[4] + kb], b[c[5] + kb], b[c[6] + kb], b[c[7] + kb]);
  block_fma(acc, rs, r, ka, b0, b1);
}

// The multiply-adds of one k of an 8x8 block, op(B)'s eight values given: the rows' values of op(A)
// at a[r[i] + ka], and their sums with ROW_SUMS. Shared by the direct matmul and the convolutions.
fn block_fma(acc: ptr<function, array<vec4f, 16>>, rs: ptr<function, array<vec4f, 2>>, r: array<u32, 8>, ka: u32, b0: vec4f, b1: vec4f) {
  let a0 = vec4f(a[r[0] + ka]);
  let a1 = vec4f(a[r[1] + ka]);
  let a2 = vec4f(a[r[2] + ka]);
  let a3 = vec4f(a[r[3] + ka]);
  let a4 = vec4f(a[r[4] + ka]);
  let a5 = vec4f(a[r[5] + ka]);
  let a6 = vec4f(a[r[6] + ka]);
  let a7 = vec4f(a[r[7] + ka]);
  if (ROW_SUMS) {
    (*rs)[0] += vec4f(a0.x, a1.x, a2.x, a3.x);
    (*rs)[1] += vec4f(a4.x, a5.x, a6.x, a7.x);
  }
  (*acc)[0] = fma(a0, b0, (*acc)[0]);
  (*acc)[1] = fma(a0, b1, (*acc)[1]);
  (*acc)[2] = fma(a1, b0, (*acc)[2]);
  (*acc)[3] = fma(a1, b1, (*acc)[3]);
  (*acc)[4] = fma(a2, b0, (*acc)[4]);
  (*acc)[5] = fma(a2, b1, (*acc)[5]);
  (*acc)[6] = fma(a3, b0, (*acc)[6]);
  (*acc)[7] = fma(a3, b1, (*acc)[7]);
  (*acc)[8] = fma(a4, b0, (*acc)[8]);
  (*acc)[9] = fma(a4, b1, (*acc)[9]);
  (*acc)[10] = fma(a5, b0, (*acc)[10]);
  (*acc)[11] = fma(a5, b1, (*acc)[11]);
  (*acc)[12] = fma(a6, b0, (*acc)[12]);
  (*acc)[13] = fma(a6, b1, (*acc)[13]);
  (*acc)[14] = fma(a7, b0, (*acc)[14]);
  (*acc)[15] = fma(a7, b1, (*acc)[15]);
}

@compute @workgroup_size(WG)
fn matmul_direct(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let blocksN = (p.N + BLOCK - 1u) / BLOCK;
  let t = workgroup_index(wid, nwg) * WG + lid;
  if (t >= blocksN * ((p.M + BLOCK - 1u) / BLOCK)) { return; }
  let row0 = (t / blocksN) * BLOCK;
  let col0 = (t % blocksN) * BLOCK;
  // Element (m, k) of op(A) is a[m * rowA + k * kA + r's base]; (k, n) of op(B) likewise.
  var rowA = p.K;
  var kA = 1u;
  if (TRANS_A) { rowA = 1u; kA = p.M; }
  var colB = 1u;
  var kB = p.N;
  if (TRANS_B) { colB = p.K; kB = 1u; }
  let baseA = p.offsetA + wid.z * p.strideA;
  let baseB = p.offsetB + wid.z * p.strideB;
  let lastM = p.M - 1u;
  let lastN = p.N - 1u;
  let r = array(
    baseA + min(row0, lastM) * rowA, baseA + min(row0 + 1u, lastM) * rowA,
    baseA + min(row0 + 2u, lastM) * rowA, baseA + min(row0 + 3u, lastM) * rowA,
    baseA + min(row0 + 4u, lastM) * rowA, baseA + min(row0 + 5u, lastM) * rowA,
    baseA + min(row0 + 6u, lastM) * rowA, baseA + min(row0 + 7u, lastM) * rowA);
  let c = array(
    baseB + min(col0, lastN) * colB, baseB + min(col0 + 1u, lastN) * colB,
    baseB + min(col0 + 2u, lastN) * colB, baseB + min(col0 + 3u, lastN) * colB,
    baseB + min(col0 + 4u, lastN) * colB, baseB + min(col0 + 5u, lastN) * colB,
    baseB + min(col0 + 6u, lastN) * colB, baseB + min(col0 + 7u, lastN) * colB);
  // acc[2i] holds row i's columns 0-3, acc[2i + 1] its columns 4-7. Two k per trip: the loop's
  // own cost is then shared by twice the work, about 15% faster on SwiftShader.
  var acc: array<vec4f, 16>;
  var rs: array<vec4f, 2>;
  var k = 0u;
  for (; k + 1u < p.K; k += 2u) {
    direct_step(&acc, &rs, r, c, k * kA, k * kB);
    direct_step(&acc, &rs, r, c, (k + 1u) * kA, (k + 1u) * kB);
  }
  if (k < p.K) { direct_step(&acc, &rs, r, c, k * kA, k * kB); }
  if (ROW_SUMS && col0 == 0u) {
    for (var i = 0u; i < 8u; i++) {
      if (row0 + i < p.M) { sums[row0 + i] = rs[i / 4u][i % 4u]; }
    }
  }
  let base = wid.z * p.M * p.N;
  let col4 = col0 + 4u;
  store_out(base, row0, col0, acc[0]);
  store_out(base, row0, col4, acc[1]);
  store_out(base, row0 + 1u, col0, acc[2]);
  store_out(base, row0 + 1u, col4, acc[3]);
  store_out(base, row0 + 2u, col0, acc[4]);
  store_out(base, row0 + 2u, col4, acc[5]);
  store_out(base, row0 + 3u, col0, acc[6]);
  store_out(base, row0 + 3u, col4, acc[7]);
  store_out(base, row0 + 4u, col0, acc[8]);
  store_out(base, row0 + 4u, col4, acc[9]);
  store_out(base, row0 + 5u, col0, acc[10]);
  store_out(base, row0 + 5u, col4, acc[11]);
  store_out(base, row0 + 6u, col0, acc[12]);
  store_out(base, row0 + 6u, col4, acc[13]);
  store_out(base, row0 + 7u, col0, acc[14]);
  store_out(base, row0 + 7u, col4, acc[15]);
}

// Convolution as an implicit matrix product: the direct kernel's 8x8 register blocks, with op(B)
// read straight out of the image (or the output gradient) through the window's geometry instead of
// out of an unfolded copy, so no im2col or col2im buffer is written or read. Zeros where a window
// overhangs the padding (or, for the input gradient, where no window reaches) come from a select,
// the load itself clamped to element 0. CONV_MODE picks the product:
//   0, forward:         out[n] [OC, OH*OW] = weight [OC, C*KH*KW] @ cols(x[n]) (+ bias per row, ReLU)
//   1, input gradient:  dx[n] [C, H*W] = weight viewed [C, OC*KH*KW] @ windows(dy[n])
//   2, weight gradient: dw [OC, C*KH*KW] = dy viewed [OC, N*OH*OW] @ cols(x)^T, and with ROW_SUMS
//                       the bias gradient (dy's sums per channel) from the same launch. Split
//                       over the images: product z sums images z*K/(OH*OW) onwards (K counts one
//                       split's), into its own [OC, C*KH*KW] slice of out and [OC] of sums, so a
//                       small weight (a first layer's 16x9) still gets many invocations.
// The walk over k keeps its window coordinates in counters, so no integer division happens per k;
// the divisions that locate the block's columns happen once per invocation. Sums run over k in
// order, like the cpu reference's.
struct ConvParams {
  M: u32,
  N: u32,
  K: u32,
  C: u32,
  H: u32,
  W: u32,
  OC: u32,
  KH: u32,
  KW: u32,
  OH: u32,
  OW: u32,
  stride: u32,
  pad: u32,
}

// Binding 0 holds one struct per kernel (an entry point uses only its own).
@group(0) @binding(0) var<uniform> cp: ConvParams;

override CONV_MODE: u32 = 0u;

// b[idx] where `ok`, else 0; a lane that is not ok reads element 0 instead of outside the buffer.
fn masked4(idx: vec4i, ok: vec4<bool>) -> vec4f {
  let i = select(vec4u(0u), vec4u(idx), ok);
  return select(vec4f(0.0), vec4f(b[i.x], b[i.y], b[i.z], b[i.w]), ok);
}

// In [0, size) for each lane (a negative i32 is a huge u32).
fn inside4(v: vec4i, size: u32) -> vec4<bool> {
  return vec4u(v) < vec4u(size);
}

fn store_conv(base: u32, m: u32, n0: u32, v: vec4f) {
  if (m >= cp.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n >= cp.N) { return; }
    var x = v[j];
    if (HAS_BIAS) { x += bias[m]; }
    if (RELU) { x = max(x, 0.0); }
    out[base + m * cp.N + n] = x;
  }
}

@compute @workgroup_size(WG)
fn conv_gemm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let blocksN = (cp.N + BLOCK - 1u) / BLOCK;
  let t = workgroup_index(wid, nwg) * WG + lid;
  if (t >= blocksN * ((cp.M + BLOCK - 1u) / BLOCK)) { return; }
  let row0 = (t / blocksN) * BLOCK;
  let col0 = (t % blocksN) * BLOCK;
  let z = wid.z;
  let HW = cp.H * cp.W;
  let P = cp.OH * cp.OW;
  let KK = cp.KH * cp.KW;
  let s = i32(cp.stride);
  let pad = i32(cp.pad);
  // Per row of the block, the offset of its op(A) row; per column, what locates it in B.
  var rowStride = cp.K;
  if (CONV_MODE == 1u) { rowStride = KK; }
  if (CONV_MODE == 2u) { rowStride = P; }
  let lastM = cp.M - 1u;
  var r: array<u32, 8>;
  r[0] = min(row0, lastM) * rowStride;
  r[1] = min(row0 + 1u, lastM) * rowStride;
  r[2] = min(row0 + 2u, lastM) * rowStride;
  r[3] = min(row0 + 3u, lastM) * rowStride;
  r[4] = min(row0 + 4u, lastM) * rowStride;
  r[5] = min(row0 + 5u, lastM) * rowStride;
  r[6] = min(row0 + 6u, lastM) * rowStride;
  r[7] = min(row0 + 7u, lastM) * rowStride;
  // Columns' coordinates, four lanes each: u, v (rows and columns in the image or the output
  // gradient) and, for the weight gradient, the channel's offset.
  let cols0 = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), vec4u(cp.N - 1u));
  let cols1 = min(vec4u(col0) + vec4u(4u, 5u, 6u, 7u), vec4u(cp.N - 1u));
  var u0: vec4i;
  var u1: vec4i;
  var v0: vec4i;
  var v1: vec4i;
  var base0 = vec4i(0);
  var base1 = vec4i(0);
  if (CONV_MODE == 0u) {
    // Output positions: the window's top-left corner in x.
    u0 = vec4i(cols0 / cp.OW) * s - pad;
    u1 = vec4i(cols1 / cp.OW) * s - pad;
    v0 = vec4i(cols0 % cp.OW) * s - pad;
    v1 = vec4i(cols1 % cp.OW) * s - pad;
  } else if (CONV_MODE == 1u) {
    // Input positions, padded: a window at kh reaches row (u - kh) / s of dy.
    u0 = vec4i(cols0 / cp.W) + pad;
    u1 = vec4i(cols1 / cp.W) + pad;
    v0 = vec4i(cols0 % cp.W) + pad;
    v1 = vec4i(cols1 % cp.W) + pad;
  } else {
    // Weight positions (c, kh, kw): the offset in x's rows and columns, and the channel's plane.
    u0 = vec4i((cols0 / cp.KW) % cp.KH) - pad;
    u1 = vec4i((cols1 / cp.KW) % cp.KH) - pad;
    v0 = vec4i(cols0 % cp.KW) - pad;
    v1 = vec4i(cols1 % cp.KW) - pad;
    base0 = vec4i((cols0 / KK) * HW);
    base1 = vec4i((cols1 / KK) * HW);
  }
  var acc: array<vec4f, 16>;
  var rs: array<vec4f, 2>;
  // The k walk: (c, kh, kw) forward, (oc, kh, kw) for the input gradient, (n, oh, ow) for the
  // weight gradient; i, j, q are those counters, ka the offset of op(A)'s column k.
  var i = 0u;
  var j = 0u;
  var q = 0u;
  if (CONV_MODE == 2u) { i = z * (cp.K / P); }
  for (var k = 0u; k < cp.K; k++) {
    var b0: vec4f;
    var b1: vec4f;
    var ka = k;
    if (CONV_MODE == 0u) {
      let plane = i32(z * cp.C * HW + i * HW);
      let h0 = u0 + i32(j);
      let h1 = u1 + i32(j);
      let w0 = v0 + i32(q);
      let w1 = v1 + i32(q);
      b0 = masked4(plane + h0 * i32(cp.W) + w0, inside4(h0, cp.H) & inside4(w0, cp.W));
      b1 = masked4(plane + h1 * i32(cp.W) + w1, inside4(h1, cp.H) & inside4(w1, cp.W));
    } else if (CONV_MODE == 1u) {
      ka = i * cp.C * KK + j * cp.KW + q;
      let plane = i32((z * cp.OC + i) * P);
      var h0 = u0 - i32(j);
      var h1 = u1 - i32(j);
      var w0 = v0 - i32(q);
      var w1 = v1 - i32(q);
      var ok0 = vec4<bool>(true);
      var ok1 = vec4<bool>(true);
      if (s != 1) {
        // A window reaches only rows and columns that are multiples of the stride away.
        ok0 = (h0 % s == vec4i(0)) & (w0 % s == vec4i(0));
        ok1 = (h1 % s == vec4i(0)) & (w1 % s == vec4i(0));
        h0 = h0 / s;
        h1 = h1 / s;
        w0 = w0 / s;
        w1 = w1 / s;
      }
      ok0 = ok0 & inside4(h0, cp.OH) & inside4(w0, cp.OW);
      ok1 = ok1 & inside4(h1, cp.OH) & inside4(w1, cp.OW);
      b0 = masked4(plane + h0 * i32(cp.OW) + w0, ok0);
      b1 = masked4(plane + h1 * i32(cp.OW) + w1, ok1);
    } else {
      ka = i * cp.OC * P + j * cp.OW + q;
      let image = i32(i * cp.C * HW);
      let h0 = u0 + i32(j) * s;
      let h1 = u1 + i32(j) * s;
      let w0 = v0 + i32(q) * s;
      let w1 = v1 + i32(q) * s;
      b0 = masked4(image + base0 + h0 * i32(cp.W) + w0, inside4(h0, cp.H) & inside4(w0, cp.W));
      b1 = masked4(image + base1 + h1 * i32(cp.W) + w1, inside4(h1, cp.H) & inside4(w1, cp.W));
    }
    block_fma(&acc, &rs, r, ka, b0, b1);
    // The next k's counters: the innermost runs over KW (the output's columns for the weight gradient).
    q++;
    if (CONV_MODE == 2u) {
      if (q == cp.OW) { q = 0u; j++; if (j == cp.OH) { j = 0u; i++; } }
    } else {
      if (q == cp.KW) { q = 0u; j++; if (j == cp.KH) { j = 0u; i++; } }
    }
  }
  if (ROW_SUMS && col0 == 0u) {
    for (var m = 0u; m < 8u; m++) {
      if (row0 + m < cp.M) { sums[z * cp.M + row0 + m] = rs[m / 4u][m % 4u]; }
    }
  }
  let base = z * cp.M * cp.N;
  let col4 = col0 + 4u;
  store_conv(base, row0, col0, acc[0]);
  store_conv(base, row0, col4, acc[1]);
  store_conv(base, row0 + 1u, col0, acc[2]);
  store_conv(base, row0 + 1u, col4, acc[3]);
  store_conv(base, row0 + 2u, col0, acc[4]);
  store_conv(base, row0 + 2u, col4, acc[5]);
  store_conv(base, row0 + 3u, col0, acc[6]);
  store_conv(base, row0 + 3u, col4, acc[7]);
  store_conv(base, row0 + 4u, col0, acc[8]);
  store_conv(base, row0 + 4u, col4, acc[9]);
  store_conv(base, row0 + 5u, col0, acc[10]);
  store_conv(base, row0 + 5u, col4, acc[11]);
  store_conv(base, row0 + 6u, col0, acc[12]);
  store_conv(base, row0 + 6u, col4, acc[13]);
  store_conv(base, row0 + 7u, col0, acc[14]);
  store_conv(base, row0 + 7u, col4, acc[15]);
}
