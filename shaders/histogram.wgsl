// Histograms of tensors, for TensorBoard's Histograms tab and the page's gradient health: two
// passes per tensor into its slot of `out`, a u32 array that the launch zeroes first.
// `hist_range` finds the finite minimum and maximum and the sum and sum of squares;
// `hist_count` counts the elements per bin, NaN, +Inf and -Inf apart. Counts and extremes meet in
// integer atomics (workgroup memory, then the slot), so they are exact and the same on every run;
// sums are written per workgroup and added on the host in order, so they are deterministic too.
//
// A slot, in u32 words from `p.slot`, for B = p.bins (at most WORKGROUP_SIZE) bins:
//   [0, B)            counts per bin: bin i holds lo + i * w <= x < lo + (i + 1) * w, w = (hi - lo) / B;
//                     the last bin also holds x == hi; finite x outside [lo, hi] is in none
//   B, B+1, B+2       NaN, +Inf and -Inf counts
//   B+3, B+4          order keys of the largest finite x and of the largest finite -x (0: none)
//   B+5, B+6          lo and hi as counted (f32 bits)
//   B+7 + g           workgroup g's sum of the finite x (f32 bits), g < HIST_GROUPS
//   B+7+HIST_GROUPS+g its sum of their squares
// With AUTO_RANGE, lo and hi are the finite minimum and maximum that hist_range found; else p.lo
// and p.hi. A value within a rounding of an interior bin edge may fall either side of it on
// another device (WGSL's division is not correctly rounded); edges lo and hi are exact.

struct Params {
  n: u32,
  bins: u32,
  lo: f32,
  hi: f32,
  slot: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;

override AUTO_RANGE: bool = true;

const INF_BITS = 0x7f800000u;
const F32_MAX = 3.40282346638528859812e38;

// Per-workgroup counts: bins, then NaN, +Inf, -Inf.
var<workgroup> local_counts: array<atomic<u32>, WORKGROUP_SIZE + 3u>;

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == INF_BITS;
}

// A key that orders as the float does, so atomicMax on keys finds the largest float.
fn order_key(v: f32) -> u32 {
  let bits = bitcast<u32>(v);
  return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

fn from_key(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn hist_range(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, at: Lanes) {
  var s = 0.0;
  var q = 0.0;
  // Whether the invocation saw a finite value (WGSL has no infinite constant to start from).
  var seen = 0.0;
  var top = -F32_MAX;
  var bottom = -F32_MAX;
  for (var i = wid.x * WORKGROUP_SIZE + at.lid; i < p.n; i += nwg.x * WORKGROUP_SIZE) {
    let v = x[i];
    if (!is_nan(v) && !is_inf(v)) {
      seen = 1.0;
      s += v;
      q += v * v;
      top = max(top, v);
      bottom = max(bottom, -v);
    }
  }
  s = workgroup_reduce(s, at, WORKGROUP_SIZE, false);
  q = workgroup_reduce(q, at, WORKGROUP_SIZE, false);
  top = workgroup_reduce(top, at, WORKGROUP_SIZE, true);
  bottom = workgroup_reduce(bottom, at, WORKGROUP_SIZE, true);
  seen = workgroup_reduce(seen, at, WORKGROUP_SIZE, true);
  if (at.lid == 0u) {
    let base = p.slot + p.bins;
    // A workgroup that saw no finite value leaves the keys alone (0 until one does).
    if (seen > 0.0) {
      atomicMax(&out[base + 3u], order_key(top));
      atomicMax(&out[base + 4u], order_key(bottom));
    }
    atomicStore(&out[base + 7u + wid.x], bitcast<u32>(s));
    atomicStore(&out[base + 7u + HIST_GROUPS + wid.x], bitcast<u32>(q));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn hist_count(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let base = p.slot + p.bins;
  for (var j = lid; j < p.bins + 3u; j += WORKGROUP_SIZE) {
    atomicStore(&local_counts[j], 0u);
  }
  var lo = p.lo;
  var hi = p.hi;
  if (AUTO_RANGE) {
    lo = -from_key(atomicLoad(&out[base + 4u]));
    hi = from_key(atomicLoad(&out[base + 3u]));
  }
  workgroupBarrier();
  let scale = f32(p.bins) / (hi - lo);
  for (var i = wid.x * WORKGROUP_SIZE + lid; i < p.n; i += nwg.x * WORKGROUP_SIZE) {
    let v = x[i];
    if (is_nan(v)) {
      atomicAdd(&local_counts[p.bins], 1u);
    } else if (is_inf(v)) {
      atomicAdd(&local_counts[select(p.bins + 2u, p.bins + 1u, v > 0.0)], 1u);
    } else if (v >= lo && v <= hi) {
      // hi == lo (a constant tensor) makes the scale infinite: everything goes to bin 0.
      let f = select((v - lo) * scale, 0.0, hi == lo);
      atomicAdd(&local_counts[min(u32(f), p.bins - 1u)], 1u);
    }
  }
  workgroupBarrier();
  for (var j = lid; j < p.bins + 3u; j += WORKGROUP_SIZE) {
    let c = atomicLoad(&local_counts[j]);
    if (c > 0u) { atomicAdd(&out[p.slot + j], c); }
  }
  if (wid.x == 0u && lid == 0u) {
    atomicStore(&out[base + 5u], bitcast<u32>(lo));
    atomicStore(&out[base + 6u], bitcast<u32>(hi));
  }
}
