// Row-wise softmax family over [rows, cols], one workgroup per row. Cross-entropy is fused: the
// forward pass is one workgroup that writes the scaled sum of the rows' losses (the loss itself),
// the backward pass writes (softmax - target) * g * scale straight from the logits, reading the
// upstream gradient g from a buffer so nothing is read back to the CPU.

struct Params {
  rows: u32,
  cols: u32,
  smoothing: f32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// Threads per row: 64, or 1 for narrow rows (10 classes), where barriers would cost more than
// the parallelism gains. The workgroup reductions are lanes.wgsl's (or lanes_subgroups.wgsl's).
override WG: u32 = 64u;

// log(sum(exp(x - max))) + max over one row: the log-partition, computed stably.
fn log_sum_exp(base: u32, at: Lanes) -> f32 {
  var m = -3.4028234663852886e38;
  for (var j = at.lid; j < p.cols; j += WG) { m = max(m, x[base + j]); }
  m = workgroup_reduce(m, at, WG, true);
  var s = 0.0;
  for (var j = at.lid; j < p.cols; j += WG) { s += exp(x[base + j] - m); }
  s = workgroup_reduce(s, at, WG, false);
  return m + log(s);
}

@compute @workgroup_size(WG)
fn log_softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let lid = at.lid;
  let row = workgroup_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let lse = log_sum_exp(base, at);
  for (var j = lid; j < p.cols; j += WG) { out[base + j] = x[base + j] - lse; }
}

// d/dx log_softmax: g - exp(y) * sum(g), with y the forward output (in x) and g the upstream grad.
@compute @workgroup_size(WG)
fn log_softmax_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let lid = at.lid;
  let row = workgroup_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var s = 0.0;
  for (var j = lid; j < p.cols; j += WG) { s += g[base + j]; }
  s = workgroup_reduce(s, at, WG, false);
  for (var j = lid; j < p.cols; j += WG) { out[base + j] = g[base + j] - exp(x[base + j]) * s; }
}

// Attention's softmax over [rows, cols] with cols == T, each [T, T] block of rows one head's
// scores: scale, causal mask and softmax in one launch. Row t of a block attends to columns
// 0..t; the rest are written as exact zeros, never read, so no mask is materialised and the
// first row (one column) cannot divide by zero.
@compute @workgroup_size(WG)
fn causal_softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let lid = at.lid;
  let row = workgroup_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let seen = row % p.cols + 1u;
  var m = -3.4028234663852886e38;
  for (var j = lid; j < seen; j += WG) { m = max(m, x[base + j] * p.scale); }
  m = workgroup_reduce(m, at, WG, true);
  var s = 0.0;
  for (var j = lid; j < seen; j += WG) { s += exp(x[base + j] * p.scale - m); }
  s = workgroup_reduce(s, at, WG, false);
  for (var j = lid; j < p.cols; j += WG) {
    out[base + j] = select(0.0, exp(x[base + j] * p.scale - m) / s, j < seen);
  }
}

// Its gradient from the output y (in x) and upstream g, the scale folded in:
// scale * y * (g - sum(g * y)) over the causal part of the row, exact zeros past it.
@compute @workgroup_size(WG)
fn causal_softmax_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let lid = at.lid;
  let row = workgroup_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let seen = row % p.cols + 1u;
  var s = 0.0;
  for (var j = lid; j < seen; j += WG) { s += g[base + j] * x[base + j]; }
  s = workgroup_reduce(s, at, WG, false);
  for (var j = lid; j < p.cols; j += WG) {
    out[base + j] = select(0.0, p.scale * x[base + j] * (g[base + j] - s), j < seen);
  }
}

// p.scale times the sum of the rows' losses, with label smoothing e: each row's loss is
// -(1 - e) * logp[y] - e / C * sum(logp). One workgroup, each invocation taking whole rows, so the
// loss of a batch is one launch rather than a per-row kernel and a reduction.
@compute @workgroup_size(WG)
fn cross_entropy(at: Lanes) {
  let lid = at.lid;
  var total = 0.0;
  for (var row = lid; row < p.rows; row += WG) {
    let base = row * p.cols;
    var m = -3.4028234663852886e38;
    for (var j = 0u; j < p.cols; j++) { m = max(m, x[base + j]); }
    var s = 0.0;
    var logits = 0.0;
    for (var j = 0u; j < p.cols; j++) {
      s += exp(x[base + j] - m);
      logits += x[base + j];
    }
    let lse = m + log(s);
    let picked = x[base + u32(labels[row])] - lse;
    total += -(1.0 - p.smoothing) * picked - p.smoothing / f32(p.cols) * (logits - f32(p.cols) * lse);
  }
  total = workgroup_reduce(total, at, WG, false);
  if (lid == 0u) { out[0] = total * p.scale; }
}

// Gradient of the mean cross-entropy with respect to the logits, times g[0] (and p.scale).
@compute @workgroup_size(WG)
fn cross_entropy_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  let lid = at.lid;
  let row = workgroup_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let lse = log_sum_exp(base, at);
  let y = u32(labels[row]);
  let k = g[0] * p.scale;
  let off = p.smoothing / f32(p.cols);
  for (var j = lid; j < p.cols; j += WG) {
    let want = select(0.0, 1.0 - p.smoothing, j == y) + off;
    out[base + j] = (exp(x[base + j] - lse) - want) * k;
  }
}
