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

// p.scale times the sum of the rows' losses, with label smoothing e: each row's loss is
// -(1 - e) * logp[y] - e / C * sum(logp). One workgroup, each invocation taking whole rows, so the
// loss of a batch is one launch rather than a per-row kernel and a reduction.
@compute @workgroup_size(WG)
fn cross_entropy(@builtin(local_invocation_index) lid: u32) {
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
  total = reduce_sum(total, lid);
  if (lid == 0u) { out[0] = total * p.scale; }
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
