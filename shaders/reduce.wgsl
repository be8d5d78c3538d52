// Reductions over the middle axis of an input viewed as [outer, size, inner], giving [outer, inner].
// `reduce_rows` (inner == 1) gives each output a workgroup that strides over the row and combines in
// workgroup memory; `reduce_cols` gives each output a thread, which reads coalesced across `inner`.
// OP: REDUCE_SUM (times `scale`, so mean is a sum), REDUCE_MAX, REDUCE_ARGMAX (index written as
// i32 bits), REDUCE_SUM_SQUARES (times `scale`).

struct Params {
  outer: u32,
  size: u32,
  inner: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override OP: u32 = 0;

const NEG_INF = -3.4028234663852886e38;

var<workgroup> vals: array<f32, WORKGROUP_SIZE>;
var<workgroup> idxs: array<u32, WORKGROUP_SIZE>;

fn init() -> f32 {
  return select(0.0, NEG_INF, OP == REDUCE_MAX || OP == REDUCE_ARGMAX);
}

fn lift(v: f32) -> f32 {
  return select(v, v * v, OP == REDUCE_SUM_SQUARES);
}

// Combines (va, ia) with (vb, ib); argmax keeps the first index among equal maxima, like PyTorch.
// NaN propagates through max like torch.max. An empty slot (index all ones: no element seen yet) loses to any element, so a row of -inf still
// gets max -inf and argmax 0 rather than NEG_INF and -1.
fn better(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
  if (ib == 0xffffffffu) { return false; }
  if (ia == 0xffffffffu) { return true; }
  if (is_nan(vb)) { return !is_nan(va) || ib < ia; }
  if (is_nan(va)) { return false; }
  return vb > va || (vb == va && ib < ia);
}

fn finish(v: f32, i: u32) -> f32 {
  switch OP {
    case REDUCE_ARGMAX: { return bitcast<f32>(i); }
    case REDUCE_MAX: { return v; }
    default: { return v * p.scale; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduce_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = workgroup_index(wid, nwg);
  if (row >= p.outer) { return; }
  let base = row * p.size;
  var v = init();
  var vi = 0xffffffffu;
  for (var j = lid; j < p.size; j += WORKGROUP_SIZE) {
    let e = lift(x[base + j]);
    if (OP == REDUCE_SUM || OP == REDUCE_SUM_SQUARES) { v += e; } else if (better(v, vi, e, j)) { v = e; vi = j; }
  }
  vals[lid] = v;
  idxs[lid] = vi;
  workgroupBarrier();
  for (var s = WORKGROUP_SIZE / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      if (OP == REDUCE_SUM || OP == REDUCE_SUM_SQUARES) {
        vals[lid] += vals[lid + s];
      } else if (better(vals[lid], idxs[lid], vals[lid + s], idxs[lid + s])) {
        vals[lid] = vals[lid + s];
        idxs[lid] = idxs[lid + s];
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    out[row] = finish(vals[0], idxs[0]);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduce_cols(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.outer * p.inner) { return; }
  let o = i / p.inner;
  let k = i % p.inner;
  let base = o * p.size * p.inner + k;
  var v = init();
  var vi = 0xffffffffu;
  for (var j = 0u; j < p.size; j++) {
    let e = lift(x[base + j * p.inner]);
    if (OP == REDUCE_SUM || OP == REDUCE_SUM_SQUARES) { v += e; } else if (better(v, vi, e, j)) { v = e; vi = j; }
  }
  out[i] = finish(v, vi);
}
