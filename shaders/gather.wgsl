// Batch gathering on the GPU: rows of a resident dataset picked by an index buffer (the epoch's
// shuffled order), so a training step uploads nothing. `gather_bytes` reads uint8 pixels packed
// four to a word and normalises them on the way: (x / 255 - mean) / stdev.

struct Params {
  rows: u32,
  rowSize: u32,
  indexOffset: u32,
  mean: f32,
  stdev: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read_write> outf: array<f32>;
// gather_words' view of the same binding.
@group(0) @binding(4) var<storage, read_write> outf4: array<vec4f>;
// gather_words' second source: the labels, as bytes.
@group(0) @binding(5) var<storage, read> labelSrc: array<u32>;

fn byte_at(i: u32) -> u32 {
  return (src[i / 4u] >> ((i % 4u) * 8u)) & 0xffu;
}

// Copies whole 32-bit words (f32 or i32 rows alike).
@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.rows * p.rowSize) { return; }
  let r = i / p.rowSize;
  let c = i % p.rowSize;
  out[i] = src[u32(index[p.indexOffset + r]) * p.rowSize + c];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_bytes(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.rows * p.rowSize) { return; }
  let r = i / p.rowSize;
  let c = i % p.rowSize;
  let v = f32(byte_at(u32(index[p.indexOffset + r]) * p.rowSize + c));
  outf[i] = (v / 255.0 - p.mean) / p.stdev;
}

// gather_bytes for rows whose size is a multiple of 4 (MNIST's 784): one invocation turns a word of
// four pixels into a vec4, a quarter of the loads and stores, which CPU adapters pay for per item.
// The first `rows` invocations also gather the labels (bytes widened to i32 in `out`), so that a
// batch is one launch.
@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_words(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i < p.rows) {
    let at = u32(index[p.indexOffset + i]);
    out[i] = (labelSrc[at / 4u] >> ((at % 4u) * 8u)) & 0xffu;
  }
  let rowWords = p.rowSize / 4u;
  if (i >= p.rows * rowWords) { return; }
  let r = i / rowWords;
  let word = src[u32(index[p.indexOffset + r]) * rowWords + i % rowWords];
  let v = vec4f(vec4u(word, word >> 8u, word >> 16u, word >> 24u) & vec4u(0xffu));
  outf4[i] = (v / 255.0 - p.mean) / p.stdev;
}

// Labels stored as bytes, widened to i32.
@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_labels(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.rows) { return; }
  out[i] = byte_at(u32(index[p.indexOffset + i]));
}
