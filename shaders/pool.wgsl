// 2-D pooling over [N*C planes, H, W] with a square window, stride and zero/-inf padding.
// Max pooling records each output's winning input position so its backward pass routes the
// gradient there; both backward passes gather over the windows covering each input element.
// Average pooling divides by the full window (PyTorch's count_include_pad=True).
// Max pooling takes a row per invocation: the divisions that place an element in its plane are
// then done once per row (integer division is slow on CPU adapters, where pooling was a fifth of
// the CNN preset's step).

struct Params {
  total: u32,
  H: u32,
  W: u32,
  OH: u32,
  OW: u32,
  K: u32,
  stride: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> indices: array<i32>;

// The input row or column that window offset k of output o reads, or -1 in the padding.
fn input_at(o: u32, k: u32, size: u32) -> i32 {
  let x = i32(o * p.stride + k) - i32(p.pad);
  return select(-1, x, x >= 0 && x < i32(size));
}

// One invocation per output row (plane, oh); p.total counts outputs.
@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = thread_index(wid, nwg, lid);
  if (row >= p.total / p.OW) { return; }
  let oh = row % p.OH;
  let plane_base = (row / p.OH) * p.H * p.W;
  for (var ow = 0u; ow < p.OW; ow++) {
    var best = -3.4028234663852886e38;
    var at = -1;
    for (var kh = 0u; kh < p.K; kh++) {
      let ih = input_at(oh, kh, p.H);
      if (ih < 0) { continue; }
      for (var kw = 0u; kw < p.K; kw++) {
        let iw = input_at(ow, kw, p.W);
        if (iw < 0) { continue; }
        let v = src[plane_base + u32(ih) * p.W + u32(iw)];
        if (is_nan(best)) { break; }
        if (v > best || at < 0 || is_nan(v)) {
          best = v;
          at = ih * i32(p.W) + iw;
        }
      }
    }
    out[row * p.OW + ow] = best;
    indices[row * p.OW + ow] = at;
  }
}

// Visits each output window (oh, ow) whose span covers input (ih, iw).
fn window_range(ihw: u32, out_size: u32) -> vec2u {
  let top = i32(ihw + p.pad) - i32(p.K) + 1;
  var lo = 0u;
  if (top > 0) { lo = (u32(top) + p.stride - 1u) / p.stride; }
  let hi = min((ihw + p.pad) / p.stride + 1u, out_size);
  return vec2u(lo, hi);
}

// One invocation per input row (plane, ih); p.total counts inputs. The row starts at zero and
// takes each covering window's gradient whose winner lies in it, windows in the same order as a
// gather per element would visit them. Rows are disjoint, so no two invocations write alike.
@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = thread_index(wid, nwg, lid);
  if (row >= p.total / p.W) { return; }
  let ih = row % p.H;
  let plane = row / p.H;
  let base = row * p.W;
  for (var iw = 0u; iw < p.W; iw++) { out[base + iw] = 0.0; }
  // argmax holds positions within the plane; this row's are [ih * W, ih * W + W).
  let first = i32(ih * p.W);
  let rh = window_range(ih, p.OH);
  for (var oh = rh.x; oh < rh.y; oh++) {
    let o = (plane * p.OH + oh) * p.OW;
    for (var ow = 0u; ow < p.OW; ow++) {
      let a = argmax[o + ow] - first;
      if (a >= 0 && a < i32(p.W)) { out[base + u32(a)] += src[o + ow]; }
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.total) { return; }
  let ow = i % p.OW;
  let oh = (i / p.OW) % p.OH;
  let plane = i / (p.OW * p.OH);
  var s = 0.0;
  for (var kh = 0u; kh < p.K; kh++) {
    let ih = input_at(oh, kh, p.H);
    if (ih < 0) { continue; }
    for (var kw = 0u; kw < p.K; kw++) {
      let iw = input_at(ow, kw, p.W);
      if (iw < 0) { continue; }
      s += src[plane * p.H * p.W + u32(ih) * p.W + u32(iw)];
    }
  }
  out[i] = s / f32(p.K * p.K);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.total) { return; }
  let iw = i % p.W;
  let ih = (i / p.W) % p.H;
  let plane = i / (p.W * p.H);
  let rh = window_range(ih, p.OH);
  let rw = window_range(iw, p.OW);
  var s = 0.0;
  for (var oh = rh.x; oh < rh.y; oh++) {
    for (var ow = rw.x; ow < rw.y; ow++) {
      s += src[plane * p.OH * p.OW + oh * p.OW + ow];
    }
  }
  out[i] = s / f32(p.K * p.K);
}
