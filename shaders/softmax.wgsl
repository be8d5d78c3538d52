// Row-wise softmax family over [rows, cols], one workgroup per row. Cross-entropy is fused: the
// forward pass writes each row's loss (the mean is a reduce), the backward pass writes
// (softmax - target) * g / rows straight from the logits, reading the upstream gradient g from a
// buffer so nothing is read back to the CPU.

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
// the parallelism gains.
override WG: u32 = 64u;
var<workgroup> scratch: array<f32, WG>;

fn row_id(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}

fn reduce_max(v: f32, lid: u32) -> f32 {
  scratch[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { scratch[lid] = max(scratch[lid], scratch[lid + s]); }
    workgroupBarrier();
  }
  let r = scratch[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(v: f32, lid: u32) -> f32 {
  scratch[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { scratch[lid] += scratch[lid + s]; }
    workgroupBarrier();
  }
  let r = scratch[0];
  workgroupBarrier();
  return r;
}

// log(sum(exp(x - max))) + max over one row: the log-partition, computed stably.
fn log_sum_exp(base: u32, lid: u32) -> f32 {
  var m = -3.4028234663852886e38;
  for (var j = lid; j < p.cols; j += WG) { m = max(m, x[base + j]); }
  m = reduce_max(m, lid);
  var s = 0.0;
  for (var j = lid; j < p.cols; j += WG) { s += exp(x[base + j] - m); }
  s = reduce_sum(s, lid);
  return m + log(s);
}

@compute @workgroup_size(WG)
fn log_softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_id(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let lse = log_sum_exp(base, lid);
  for (var j = lid; j < p.cols; j += WG) { out[base + j] = x[base + j] - lse; }
}

// d/dx log_softmax: g - exp(y) * sum(g), with y the forward output (in x) and g the upstream grad.
@compute @workgroup_size(WG)
fn log_softmax_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_id(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var s = 0.0;
  for (var j = lid; j < p.cols; j += WG) { s += g[base + j]; }
  s = reduce_sum(s, lid);
  for (var j = lid; j < p.cols; j += WG) { out[base + j] = g[base + j] - exp(x[base + j]) * s; }
}

// Per-row loss with label smoothing e: -(1 - e) * logp[y] - e / C * sum(logp).
@compute @workgroup_size(WG)
fn cross_entropy(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_id(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let lse = log_sum_exp(base, lid);
  var s = 0.0;
  if (p.smoothing != 0.0) {
    for (var j = lid; j < p.cols; j += WG) { s += x[base + j] - lse; }
    s = reduce_sum(s, lid);
  }
  if (lid == 0u) {
    let y = u32(labels[row]);
    let picked = x[base + y] - lse;
    out[row] = -(1.0 - p.smoothing) * picked - p.smoothing / f32(p.cols) * s;
  }
}

// Gradient of the mean cross-entropy with respect to the logits, times g[0] (and p.scale).
@compute @workgroup_size(WG)
fn cross_entropy_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_id(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let lse = log_sum_exp(base, lid);
  let y = u32(labels[row]);
  let k = g[0] * p.scale;
  let off = p.smoothing / f32(p.cols);
  for (var j = lid; j < p.cols; j += WG) {
    let want = select(0.0, 1.0 - p.smoothing, j == y) + off;
    out[base + j] = (exp(x[base + j] - lse) - want) * k;
  }
}
