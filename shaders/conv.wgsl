// Convolution as a matrix product: im2col unfolds x [N, C, H, W] into columns
// [N, C*KH*KW, OH*OW] (zeros where the window overhangs the padding), so conv2d is one batched
// matmul W[OC, C*KH*KW] @ cols[n]. col2im folds column gradients back onto the input, each input
// element gathering from the windows that cover it, so no atomics are needed. Both take a row per
// invocation, so that the integer divisions that locate it (slow on CPU adapters) happen per row.

struct Params {
  total: u32,
  C: u32,
  H: u32,
  W: u32,
  KH: u32,
  KW: u32,
  OH: u32,
  OW: u32,
  stride: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// One invocation per run of OW outputs (n, c, kh, kw, oh): the index arithmetic (integer division,
// which CPU adapters pay per element, 17 ns there at one element per invocation) happens once per
// run, and the loop over ow only adds.
@compute @workgroup_size(WORKGROUP_SIZE)
fn im2col(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = thread_index(wid, nwg, lid);
  if (t >= p.total / p.OW) { return; }
  let rows = p.C * p.KH * p.KW;
  let oh = t % p.OH;
  let row = (t / p.OH) % rows;
  let n = t / (p.OH * rows);
  let kw = row % p.KW;
  let kh = (row / p.KW) % p.KH;
  let c = row / (p.KW * p.KH);
  let ih = i32(oh * p.stride + kh) - i32(p.pad);
  let inside = ih >= 0 && ih < i32(p.H);
  let first = ((n * p.C + c) * p.H + u32(max(ih, 0))) * p.W;
  // t * OW is the output index of (n, row, oh, 0).
  let to = t * p.OW;
  for (var ow = 0u; ow < p.OW; ow++) {
    let iw = i32(ow * p.stride + kw) - i32(p.pad);
    var v = 0.0;
    if (inside && iw >= 0 && iw < i32(p.W)) { v = src[first + u32(iw)]; }
    out[to + ow] = v;
  }
}

// The output position a window offset k reaches from input position `at`, or -1 if none: at + pad
// - k must be a non-negative multiple of the stride below `size`. Stride 1 needs no division.
fn window_at(at: u32, k: u32, size: u32) -> i32 {
  let y = i32(at + p.pad) - i32(k);
  if (y < 0) { return -1; }
  var o = u32(y);
  if (p.stride != 1u) {
    if (o % p.stride != 0u) { return -1; }
    o = o / p.stride;
  }
  return select(-1, i32(o), o < size);
}

// One invocation per input row (n, c, ih), like im2col; each element sums the columns its
// windows read it into, over (kh, kw) in order.
@compute @workgroup_size(WORKGROUP_SIZE)
fn col2im(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = thread_index(wid, nwg, lid);
  if (row >= p.total / p.W) { return; }
  let ih = row % p.H;
  let nc = row / p.H;
  let P = p.OH * p.OW;
  // Column rows (c, kh, kw) of image n start at (n * C * KH * KW + c * KH * KW) * P = nc * KH * KW * P.
  let base = nc * p.KH * p.KW * P;
  for (var iw = 0u; iw < p.W; iw++) {
    var s = 0.0;
    for (var kh = 0u; kh < p.KH; kh++) {
      let oh = window_at(ih, kh, p.OH);
      if (oh < 0) { continue; }
      for (var kw = 0u; kw < p.KW; kw++) {
        let ow = window_at(iw, kw, p.OW);
        if (ow < 0) { continue; }
        s += src[base + (kh * p.KW + kw) * P + u32(oh) * p.OW + u32(ow)];
      }
    }
    out[row * p.W + iw] = s;
  }
}
