// Batch normalisation over the channel axis of x viewed as [N, C, S] (S = H * W for BatchNorm2d, 1
// for BatchNorm1d), fused: the forward pass is one statistics kernel (one workgroup per channel,
// which also updates the running statistics in place) and one elementwise kernel; the backward
// pass is one per-channel reduction and one elementwise kernel. Composed from generic ops it took
// about twenty broadcasting launches each way, most of them over the whole activation.
// stats holds [mean (C), invstd (C)]; invstd = 1 / sqrt(var + eps) with the biased batch variance
// (training) or the running variance (eval), as PyTorch normalises. With RELU, a ReLU that follows
// is fused in: the forward pass clamps its output, the backward passes mask dy by that output (y).

struct Params {
  N: u32,
  C: u32,
  S: u32,
  eps: f32,
  // Running-statistics update: new = (1 - momentum) * old + momentum * batch (times n / (n - 1)
  // for the variance, which PyTorch tracks unbiased): momentum and momentum * n / (n - 1).
  momentum: f32,
  momentumVar: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(4) var<storage, read_write> runningVar: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read> dy: array<f32>;
@group(0) @binding(9) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(10) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(11) var<storage, read> y: array<f32>;

// Batch statistics (false: eval, which reads the running ones).
override TRAINING: bool = true;
// Whether weight and bias exist (affine=True).
override AFFINE: bool = true;
// Whether a ReLU follows, fused.
override RELU: bool = false;

// A per-channel kernel's walk over its channel's elements j = lid, lid + WORKGROUP_SIZE, ...,
// j counting over N then S: j's image n and place s in the plane. Integer division is slow on CPU
// adapters (17 ns an element there), so where a plane holds at least WORKGROUP_SIZE elements (a
// step then crosses at most one plane's end) the walk adds and subtracts instead of dividing.
struct Walk {
  j: u32,
  n: u32,
  s: u32,
}

fn walk_start(j: u32) -> Walk {
  let n = j / p.S;
  return Walk(j, n, j - n * p.S);
}

fn walk_next(w: ptr<function, Walk>) {
  (*w).j += WORKGROUP_SIZE;
  if (p.S >= WORKGROUP_SIZE) {
    (*w).s += WORKGROUP_SIZE;
    if ((*w).s >= p.S) {
      (*w).s -= p.S;
      (*w).n += 1u;
    }
  } else {
    (*w).n = (*w).j / p.S;
    (*w).s = (*w).j - (*w).n * p.S;
  }
}

// The index in x of the walk's element of channel c.
fn walk_index(c: u32, w: Walk) -> u32 {
  return (w.n * p.C + c) * p.S + w.s;
}

// The elementwise kernels take CHUNK (kernels.ts's SIZES) consecutive elements per invocation,
// tracking the channel as they go rather than dividing for each element.

// The first element of an invocation's chunk, and its channel and position in the plane.
struct Chunk {
  i: u32,
  c: u32,
  s: u32,
}

fn chunk_start(wid: vec3u, nwg: vec3u, lid: u32) -> Chunk {
  let i = thread_index(wid, nwg, lid) * CHUNK;
  let plane = i / p.S;
  return Chunk(i, plane % p.C, i - plane * p.S);
}

// Moves to the next element, wrapping into the next plane (and channel) at the end of one.
fn chunk_next(k: ptr<function, Chunk>) {
  (*k).i += 1u;
  (*k).s += 1u;
  if ((*k).s == p.S) {
    (*k).s = 0u;
    (*k).c += 1u;
    if ((*k).c == p.C) { (*k).c = 0u; }
  }
}

// The workgroup's sum of v, every invocation getting it (lanes.wgsl or lanes_subgroups.wgsl).
fn workgroup_sum(v: f32, at: Lanes) -> f32 {
  return workgroup_reduce(v, at, WORKGROUP_SIZE, false);
}

// One workgroup per channel: mean, then the variance around it (two passes, for accuracy).
@compute @workgroup_size(WORKGROUP_SIZE)
fn bn_stats(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let lid = at.lid;
  let c = workgroup_index(wid, nwg);
  if (c >= p.C) { return; }
  if (!TRAINING) {
    if (lid == 0u) {
      stats[c] = runningMean[c];
      stats[p.C + c] = 1.0 / sqrt(runningVar[c] + p.eps);
    }
    return;
  }
  let count = p.N * p.S;
  var s = 0.0;
  for (var w = walk_start(lid); w.j < count; walk_next(&w)) { s += x[walk_index(c, w)]; }
  let mean = workgroup_sum(s, at) / f32(count);
  var q = 0.0;
  for (var w = walk_start(lid); w.j < count; walk_next(&w)) {
    let d = x[walk_index(c, w)] - mean;
    q += d * d;
  }
  let variance = workgroup_sum(q, at) / f32(count);
  if (lid == 0u) {
    stats[c] = mean;
    stats[p.C + c] = 1.0 / sqrt(variance + p.eps);
    runningMean[c] = (1.0 - p.momentum) * runningMean[c] + p.momentum * mean;
    runningVar[c] = (1.0 - p.momentum) * runningVar[c] + p.momentumVar * variance;
  }
}

// The upstream gradient at i, through the fused ReLU when there is one.
fn grad_at(i: u32) -> f32 {
  if (RELU) { return select(0.0, dy[i], y[i] > 0.0); }
  return dy[i];
}

// y = (x - mean) * invstd * weight + bias.
@compute @workgroup_size(WORKGROUP_SIZE)
fn bn_apply(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  var k = chunk_start(wid, nwg, lid);
  let total = p.N * p.C * p.S;
  for (var e = 0u; e < CHUNK && k.i < total; e++) {
    let i = k.i;
    let c = k.c;
    var v = (x[i] - stats[c]) * stats[p.C + c];
    if (AFFINE) { v = v * weight[c] + bias[c]; }
    if (RELU) { v = max(v, 0.0); }
    out[i] = v;
    chunk_next(&k);
  }
}

// Per channel: dbias = sum(dy), dweight = sum(dy * xhat).
@compute @workgroup_size(WORKGROUP_SIZE)
fn bn_backward_sums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let lid = at.lid;
  let c = workgroup_index(wid, nwg);
  if (c >= p.C) { return; }
  let mean = stats[c];
  let invstd = stats[p.C + c];
  var sg = 0.0;
  var sgx = 0.0;
  for (var w = walk_start(lid); w.j < p.N * p.S; walk_next(&w)) {
    let i = walk_index(c, w);
    let g = grad_at(i);
    sg += g;
    sgx += g * (x[i] - mean) * invstd;
  }
  let total = workgroup_sum(sg, at);
  let totalX = workgroup_sum(sgx, at);
  if (lid == 0u) {
    dbias[c] = total;
    dweight[c] = totalX;
  }
}

// dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) in training, where the batch
// statistics depend on x; weight * invstd * dy in eval, where they are constants.
@compute @workgroup_size(WORKGROUP_SIZE)
fn bn_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  var k = chunk_start(wid, nwg, lid);
  let total = p.N * p.C * p.S;
  let count = f32(p.N * p.S);
  for (var e = 0u; e < CHUNK && k.i < total; e++) {
    let i = k.i;
    let c = k.c;
    let invstd = stats[p.C + c];
    var scale = invstd;
    if (AFFINE) { scale *= weight[c]; }
    let g = grad_at(i);
    if (TRAINING) {
      let xhat = (x[i] - stats[c]) * invstd;
      out[i] = scale * (g - dbias[c] / count - xhat * (dweight[c] / count));
    } else {
      out[i] = g * scale;
    }
    chunk_next(&k);
  }
}

// Layer normalisation over the last dim, x viewed as [rows, cols] (PyTorch's nn.LayerNorm with an
// int normalized_shape): a workgroup per row finds its mean and rstd = 1 / sqrt(var + eps) (biased
// variance), saves them in stats as [mean (rows), rstd (rows)] for the backward pass, and writes
// the normalised row. Backward, a workgroup per row gives dx and a workgroup per column dweight
// and dbias, each a sum over the rows in a fixed order: WGSL has no float atomics, and a fixed
// order gives the same bits on every run.

struct LayerNormParams {
  rows: u32,
  cols: u32,
  eps: f32,
}

// Binding 0 holds one struct per kernel (an entry point uses only its own).
@group(0) @binding(0) var<uniform> ln_params: LayerNormParams;

// Invocations per row: 64, or 1 for narrow rows (ops.ts's rowThreads, as in softmax.wgsl).
override WG: u32 = 64u;
// Whether the weight (elementwise_affine) and the bias exist; in ln_backward_params, whether
// their gradients are wanted.
override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

@compute @workgroup_size(WG)
fn ln_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let row = workgroup_index(wid, nwg);
  if (row >= ln_params.rows) { return; }
  let cols = ln_params.cols;
  let base = row * cols;
  var s = 0.0;
  for (var j = at.lid; j < cols; j += WG) { s += x[base + j]; }
  let mean = workgroup_reduce(s, at, WG, false) / f32(cols);
  // Around the mean, in a second pass, for accuracy.
  var q = 0.0;
  for (var j = at.lid; j < cols; j += WG) {
    let d = x[base + j] - mean;
    q += d * d;
  }
  let rstd = 1.0 / sqrt(workgroup_reduce(q, at, WG, false) / f32(cols) + ln_params.eps);
  for (var j = at.lid; j < cols; j += WG) {
    var v = (x[base + j] - mean) * rstd;
    if (HAS_WEIGHT) { v *= weight[j]; }
    if (HAS_BIAS) { v += bias[j]; }
    out[base + j] = v;
  }
  if (at.lid == 0u) {
    stats[row] = mean;
    stats[ln_params.rows + row] = rstd;
  }
}

// The upstream gradient of xhat at element i of column j: dy * weight.
fn ln_grad(i: u32, j: u32) -> f32 {
  if (HAS_WEIGHT) { return dy[i] * weight[j]; }
  return dy[i];
}

// dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat)), gx = dy * weight, per row.
@compute @workgroup_size(WG)
fn ln_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let row = workgroup_index(wid, nwg);
  if (row >= ln_params.rows) { return; }
  let cols = ln_params.cols;
  let base = row * cols;
  let mean = stats[row];
  let rstd = stats[ln_params.rows + row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = at.lid; j < cols; j += WG) {
    let g = ln_grad(base + j, j);
    sg += g;
    sgx += g * (x[base + j] - mean) * rstd;
  }
  let meanG = workgroup_reduce(sg, at, WG, false) / f32(cols);
  let meanGX = workgroup_reduce(sgx, at, WG, false) / f32(cols);
  for (var j = at.lid; j < cols; j += WG) {
    let xhat = (x[base + j] - mean) * rstd;
    out[base + j] = rstd * (ln_grad(base + j, j) - meanG - xhat * meanGX);
  }
}

// Per column: dweight = sum(dy * xhat) and dbias = sum(dy) over the rows.
@compute @workgroup_size(WORKGROUP_SIZE)
fn ln_backward_params(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let c = workgroup_index(wid, nwg);
  let cols = ln_params.cols;
  if (c >= cols) { return; }
  let rows = ln_params.rows;
  var sg = 0.0;
  var sgx = 0.0;
  for (var r = at.lid; r < rows; r += WORKGROUP_SIZE) {
    let i = r * cols + c;
    sg += dy[i];
    sgx += dy[i] * (x[i] - stats[r]) * stats[rows + r];
  }
  let db = workgroup_sum(sg, at);
  let dw = workgroup_sum(sgx, at);
  if (at.lid == 0u) {
    if (HAS_WEIGHT) { dweight[c] = dw; }
    if (HAS_BIAS) { dbias[c] = db; }
  }
}
