// Batched matrix product out[b] = op(A[b]) @ op(B[b]) (+ bias) (then ReLU), where op transposes
// when TRANS_A / TRANS_B are set, so x @ W^T (Linear) and its gradients need no transpose copies.
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

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;

const TILE = 64u;
const BK = 16u;

var<workgroup> As: array<array<f32, 64>, 16>;
var<workgroup> Bs: array<array<f32, 64>, 16>;

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

// A variant without workgroup memory for CPU adapters (lavapipe, SwiftShader), where barriers
// and shared arrays are emulated and cost more than they save: each invocation computes a 4x4
// block straight from global memory, which the CPU's caches serve.
// Rows and columns past the edge are clamped rather than branched on: their results are never
// stored, and branch-free loads vectorise on the CPU drivers this variant is for.
fn load_a_clamped(base: u32, m: u32, k: u32) -> f32 {
  let mm = min(m, p.M - 1u);
  if (TRANS_A) { return a[base + k * p.M + mm]; }
  return a[base + mm * p.K + k];
}

fn load_b_clamped(base: u32, k: u32, n: u32) -> f32 {
  let nn = min(n, p.N - 1u);
  if (TRANS_B) { return b[base + nn * p.K + k]; }
  return b[base + k * p.N + nn];
}

@compute @workgroup_size(64)
fn matmul_direct(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let blocksN = (p.N + 3u) / 4u;
  let blocksM = (p.M + 3u) / 4u;
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (t >= blocksN * blocksM) { return; }
  let row0 = (t / blocksN) * 4u;
  let col0 = (t % blocksN) * 4u;
  let baseA = p.offsetA + wid.z * p.strideA;
  let baseB = p.offsetB + wid.z * p.strideB;
  var acc: array<vec4f, 4>;
  for (var k = 0u; k < p.K; k++) {
    let bv = vec4f(load_b_clamped(baseB, k, col0), load_b_clamped(baseB, k, col0 + 1u), load_b_clamped(baseB, k, col0 + 2u), load_b_clamped(baseB, k, col0 + 3u));
    acc[0] = fma(vec4f(load_a_clamped(baseA, row0, k)), bv, acc[0]);
    acc[1] = fma(vec4f(load_a_clamped(baseA, row0 + 1u, k)), bv, acc[1]);
    acc[2] = fma(vec4f(load_a_clamped(baseA, row0 + 2u, k)), bv, acc[2]);
    acc[3] = fma(vec4f(load_a_clamped(baseA, row0 + 3u, k)), bv, acc[3]);
  }
  let baseOut = wid.z * p.M * p.N;
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + i;
    if (m >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + j;
      if (n >= p.N) { break; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[n]; }
      if (RELU) { v = max(v, 0.0); }
      out[baseOut + m * p.N + n] = v;
    }
  }
}
