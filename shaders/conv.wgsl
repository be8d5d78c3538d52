// Convolution as a matrix product: im2col unfolds x [N, C, H, W] into columns
// [N, C*KH*KW, OH*OW] (zeros where the window overhangs the padding), so conv2d is one batched
// matmul W[OC, C*KH*KW] @ cols[n]. col2im folds column gradients back onto the input, each input
// element gathering from the windows that cover it, so no atomics are needed.

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

fn thread_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

// One invocation per run of OW outputs (n, c, kh, kw, oh): the index arithmetic (integer division,
// which CPU adapters pay per element, 17 ns there at one element per invocation) happens once per
// run, and the loop over ow only adds.
@compute @workgroup_size(256)
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

@compute @workgroup_size(256)
fn col2im(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.total) { return; }
  let iw = i % p.W;
  let ih = (i / p.W) % p.H;
  let c = (i / (p.W * p.H)) % p.C;
  let n = i / (p.W * p.H * p.C);
  let P = p.OH * p.OW;
  let rows = p.C * p.KH * p.KW;
  var s = 0.0;
  for (var kh = 0u; kh < p.KH; kh++) {
    let y = i32(ih + p.pad) - i32(kh);
    if (y < 0 || y % i32(p.stride) != 0) { continue; }
    let oh = u32(y) / p.stride;
    if (oh >= p.OH) { continue; }
    for (var kw = 0u; kw < p.KW; kw++) {
      let x = i32(iw + p.pad) - i32(kw);
      if (x < 0 || x % i32(p.stride) != 0) { continue; }
      let ow = u32(x) / p.stride;
      if (ow >= p.OW) { continue; }
      s += src[(n * rows + (c * p.KH + kh) * p.KW + kw) * P + oh * p.OW + ow];
    }
  }
  out[i] = s;
}
