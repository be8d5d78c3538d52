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

// Embedding lookup and its gradient: rows of a table [rows, dim] picked by `count` int32 indices.
// An index outside [0, rows) reads as a row of zeros and sends its gradient nowhere (the cpu
// backend throws instead; a kernel cannot): clamping would add a stray position's gradient into a
// real row, silently.

struct EmbeddingParams {
  count: u32,
  rows: u32,
  dim: u32,
}

// Binding 0 holds one struct per kernel (an entry point uses only its own).
@group(0) @binding(0) var<uniform> emb_params: EmbeddingParams;
// The output's gradient, [count, dim].
@group(0) @binding(6) var<storage, read> dy: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn embedding(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  let dim = emb_params.dim;
  if (i >= emb_params.count * dim) { return; }
  let at = i / dim;
  // A negative index wraps to a large one, out of range too.
  let row = u32(index[at]);
  var v = 0u;
  if (row < emb_params.rows) { v = src[row * dim + i - at * dim]; }
  out[i] = v;
}

// One chunk's matches, a bit per position.
var<workgroup> hits: array<atomic<u32>, WORKGROUP_SIZE / 32u>;

// The table's gradient, deterministically (WGSL has no float atomics, and a fixed order gives the
// same bits on every run, the cpu backend's too): row r's gradient is the sum of dy over the
// positions whose index is r, added in position order. A workgroup per row reads the indices a
// chunk of WORKGROUP_SIZE at a time, marks the matches as bits (atomicOr gives the same bits in any
// order), then adds the marked positions' dy, lowest first, each invocation its own channels. That
// reads rows x count indices in parallel and adds count x dim values: for the 65-256 rows of a
// character vocabulary a small cost; a sort of the positions by index would scale better to
// vocabularies of tens of thousands, at the price of several more kernels.
@compute @workgroup_size(WORKGROUP_SIZE)
fn embedding_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = workgroup_index(wid, nwg);
  if (row >= emb_params.rows) { return; }
  let dim = emb_params.dim;
  let base = row * dim;
  for (var c = lid; c < dim; c += WORKGROUP_SIZE) { outf[base + c] = 0.0; }
  for (var first = 0u; first < emb_params.count; first += WORKGROUP_SIZE) {
    if (lid < WORKGROUP_SIZE / 32u) { atomicStore(&hits[lid], 0u); }
    workgroupBarrier();
    let at = first + lid;
    if (at < emb_params.count && index[at] == i32(row)) { atomicOr(&hits[lid / 32u], 1u << (lid % 32u)); }
    workgroupBarrier();
    for (var w = 0u; w < WORKGROUP_SIZE / 32u; w++) {
      var bits = atomicLoad(&hits[w]);
      while (bits != 0u) {
        let dyRow = (first + w * 32u + countTrailingZeros(bits)) * dim;
        bits &= bits - 1u;
        for (var c = lid; c < dim; c += WORKGROUP_SIZE) { outf[base + c] += dy[dyRow + c]; }
      }
    }
    // Every invocation has read the bits before the next chunk clears them.
    workgroupBarrier();
  }
}
