// Kiln's WASM SIMD kernels (AssemblyScript, compiled by scripts/build-wasm.mjs on `npm ci`).
//
// Every pointer is a byte address in the imported linear memory, where the wasm backend
// (src/tensor/wasm.ts) keeps every tensor; every count is in elements. The kernels compute what the
// cpu reference backend (src/tensor/cpu.ts) computes for the same kernel, 4 floats per
// instruction; the few that cannot match it bit for bit (sums in another order, f32 instead of f64
// intermediates) stay within the tolerance the kernel tests allow every backend.

export * from './conv';
export * from './matmul';
export * from './nn';

// Codes shared with src/tensor/kernels.ts (UNARY, BINARY): the backend only calls these kernels
// for the codes listed here and leaves the others to the cpu kernels on views of this memory.
const U_COPY: i32 = 0;
const U_NEG: i32 = 1;
const U_RELU: i32 = 5;
const U_LEAKY_RELU: i32 = 6;
const U_AFFINE: i32 = 11;
const U_ABS: i32 = 12;
const U_CLAMP: i32 = 14;

const B_ADD: i32 = 0;
const B_SUB: i32 = 1;
const B_MUL: i32 = 2;
const B_DIV: i32 = 3;
const B_MAX: i32 = 4;
const B_MIN: i32 = 5;
const B_RELU_GRAD: i32 = 7;
const B_EQ: i32 = 12;
const B_GT: i32 = 13;

// ---------------------------------------------------------------------------------------------
// Elementwise

@inline
function unary4(op: i32, x: v128, va: v128, vb: v128): v128 {
  const zero = f32x4.splat(0);
  if (op == U_COPY) return x;
  if (op == U_NEG) return f32x4.neg(x);
  if (op == U_RELU) return f32x4.max(x, zero);
  if (op == U_LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, va), f32x4.gt(x, zero));
  if (op == U_AFFINE) return f32x4.add(f32x4.mul(x, va), vb);
  if (op == U_ABS) return f32x4.abs(x);
  if (op == U_CLAMP) return f32x4.min(f32x4.max(x, va), vb);
  unreachable();
  return x;
}

@inline
function unary1(op: i32, x: f32, alpha: f32, beta: f32): f32 {
  if (op == U_COPY) return x;
  if (op == U_NEG) return -x;
  if (op == U_RELU) return max(x, 0);
  if (op == U_LEAKY_RELU) return x > 0 ? x : x * alpha;
  if (op == U_AFFINE) return x * alpha + beta;
  if (op == U_ABS) return abs(x);
  if (op == U_CLAMP) return min(max(x, alpha), beta);
  unreachable();
  return x;
}

/** The PCG hash of shaders/elementwise.wgsl (pcg_hash): dropout's counter-based random numbers. */
@inline
function pcgHash(v: u32): u32 {
  const state = v * 747796405 + 2891336453;
  const word = ((state >> ((state >> 28) + 4)) ^ state) * 277803737;
  return (word >> 22) ^ word;
}

/** pcgHash of four lanes: its shift by (state >> 28) + 4, which differs by lane, as four shifts by 8, 4, 2, 1 or none. */
@inline
function pcgHash4(v: v128): v128 {
  const state = i32x4.add(i32x4.mul(v, i32x4.splat(747796405)), i32x4.splat(<i32>2891336453));
  const b = i32x4.shr_u(state, 28);
  const zero = i32x4.splat(0);
  let x = i32x4.shr_u(state, 4);
  x = v128.bitselect(i32x4.shr_u(x, 8), x, i32x4.ne(v128.and(b, i32x4.splat(8)), zero));
  x = v128.bitselect(i32x4.shr_u(x, 4), x, i32x4.ne(v128.and(b, i32x4.splat(4)), zero));
  x = v128.bitselect(i32x4.shr_u(x, 2), x, i32x4.ne(v128.and(b, i32x4.splat(2)), zero));
  x = v128.bitselect(i32x4.shr_u(x, 1), x, i32x4.ne(v128.and(b, i32x4.splat(1)), zero));
  const word = i32x4.mul(v128.xor(x, state), i32x4.splat(277803737));
  return v128.xor(i32x4.shr_u(word, 22), word);
}

/**
 * Inverted dropout over n contiguous elements, as the WGSL kernel and the cpu reference draw it:
 * element i, the launch's element `offset + i` (a thread's part starts past the others'), is kept
 * where (pcgHash(index ^ pcgHash(seed)) >> 8) / 2^24 >= p, and scaled by 1 / (1 - p). Four
 * elements at a time.
 */
export function dropout(a: usize, out: usize, n: i32, p: f32, seed: u32, offset: u32): void {
  const s = pcgHash(seed);
  const keep = <f32>1 - p;
  const vs = i32x4.splat(s);
  const vp = f32x4.splat(p);
  const vkeep = f32x4.splat(keep);
  const scale = f32x4.splat(<f32>1 / <f32>16777216);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const index = i32x4.add(i32x4.splat(offset + <u32>i), i32x4(0, 1, 2, 3));
    const u = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(pcgHash4(v128.xor(index, vs)), 8)), scale);
    const at = (<usize>i) << 2;
    v128.store(out + at, v128.and(f32x4.div(v128.load(a + at), vkeep), f32x4.ge(u, vp)));
  }
  for (; i < n; i++) {
    const u = <f32>(pcgHash((offset + <u32>i) ^ s) >> 8) / <f32>16777216;
    const at = (<usize>i) << 2;
    store<f32>(out + at, u >= p ? load<f32>(a + at) / keep : 0);
  }
}

/** out[i] = op(a[i]) over n contiguous elements, for the unary codes listed at the top. */
export function unary(op: i32, a: usize, out: usize, n: i32, alpha: f32, beta: f32): void {
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) v128.store(out + i, unary4(op, v128.load(a + i), va, vb));
  for (; i < end; i += 4) store<f32>(out + i, unary1(op, load<f32>(a + i), alpha, beta));
}

/** unary over rows of `cols` contiguous elements, row r of a starting at element offsets[r] (a strided copy, a permute). */
export function unaryRows(op: i32, a: usize, out: usize, rows: i32, cols: i32, offsets: usize, alpha: f32, beta: f32): void {
  for (let r = 0; r < rows; r++) {
    const pa = a + ((<usize>load<i32>(offsets + ((<usize>r) << 2))) << 2);
    unary(op, pa, out + ((<usize>r * <usize>cols) << 2), cols, alpha, beta);
  }
}

@inline
function binary4(op: i32, x: v128, y: v128): v128 {
  if (op == B_ADD) return f32x4.add(x, y);
  if (op == B_SUB) return f32x4.sub(x, y);
  if (op == B_MUL) return f32x4.mul(x, y);
  if (op == B_DIV) return f32x4.div(x, y);
  if (op == B_MAX) return f32x4.max(x, y);
  if (op == B_MIN) return f32x4.min(x, y);
  if (op == B_RELU_GRAD) return v128.and(x, f32x4.gt(y, f32x4.splat(0)));
  if (op == B_EQ) return v128.and(f32x4.splat(1), f32x4.eq(x, y));
  if (op == B_GT) return v128.and(f32x4.splat(1), f32x4.gt(x, y));
  unreachable();
  return x;
}

@inline
function binary1(op: i32, x: f32, y: f32): f32 {
  if (op == B_ADD) return x + y;
  if (op == B_SUB) return x - y;
  if (op == B_MUL) return x * y;
  if (op == B_DIV) return x / y;
  if (op == B_MAX) return max(x, y);
  if (op == B_MIN) return min(x, y);
  if (op == B_RELU_GRAD) return y > 0 ? x : 0;
  if (op == B_EQ) return x == y ? 1 : 0;
  if (op == B_GT) return x > y ? 1 : 0;
  unreachable();
  return x;
}

/** out[i] = op(a[i], b[i]) over n contiguous elements. */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) v128.store(out + i, binary4(op, v128.load(a + i), v128.load(b + i)));
  for (; i < end; i += 4) store<f32>(out + i, binary1(op, load<f32>(a + i), load<f32>(b + i)));
}

/**
 * A strided binary op, a row (the output's last dim, `cols` long) at a time: row r of a starts at
 * element offsets[2r] and of b at offsets[2r + 1] (i32 pairs the backend computes from the
 * strides), and each operand steps 1 along the row or 0 (one value broadcast along it: a bias per
 * channel, a max per row).
 */
export function binaryRows(
  op: i32,
  a: usize,
  b: usize,
  out: usize,
  rows: i32,
  cols: i32,
  offsets: usize,
  stepA: i32,
  stepB: i32,
): void {
  const end = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const pa = a + ((<usize>load<i32>(offsets + ((<usize>r) << 3))) << 2);
    const pb = b + ((<usize>load<i32>(offsets + ((<usize>r) << 3), 4)) << 2);
    const po = out + ((<usize>r * <usize>cols) << 2);
    let i: usize = 0;
    if (stepA == 1 && stepB == 1) {
      for (; i + 16 <= end; i += 16) v128.store(po + i, binary4(op, v128.load(pa + i), v128.load(pb + i)));
      for (; i < end; i += 4) store<f32>(po + i, binary1(op, load<f32>(pa + i), load<f32>(pb + i)));
    } else if (stepA == 1) {
      const s = load<f32>(pb);
      const y = f32x4.splat(s);
      for (; i + 16 <= end; i += 16) v128.store(po + i, binary4(op, v128.load(pa + i), y));
      for (; i < end; i += 4) store<f32>(po + i, binary1(op, load<f32>(pa + i), s));
    } else if (stepB == 1) {
      const s = load<f32>(pa);
      const x = f32x4.splat(s);
      for (; i + 16 <= end; i += 16) v128.store(po + i, binary4(op, x, v128.load(pb + i)));
      for (; i < end; i += 4) store<f32>(po + i, binary1(op, s, load<f32>(pb + i)));
    } else {
      const v = binary1(op, load<f32>(pa), load<f32>(pb));
      for (; i < end; i += 4) store<f32>(po + i, v);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions (sums, accumulated in f64 as the cpu kernel does)

/**
 * out[o, k] = scale * the sum over j of x[o, j, k] (squared when `squares`), x laid out as
 * [outer, size, inner]. Inner 1 sums a contiguous row; wider inners sum rows of `inner`
 * contiguous elements, two lanes of f64 at a time.
 */
export function reduceSum(x: usize, out: usize, outer: i32, size: i32, inner: i32, scale: f64, squares: bool): void {
  for (let o = 0; o < outer; o++) {
    const base = x + ((<usize>o * <usize>size * <usize>inner) << 2);
    const dst = out + ((<usize>o * <usize>inner) << 2);
    if (inner == 1) {
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let j = 0;
      for (; j + 4 <= size; j += 4) {
        const v = v128.load(base + ((<usize>j) << 2));
        let lo = f64x2.promote_low_f32x4(v);
        let hi = f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1));
        if (squares) {
          lo = f64x2.mul(lo, lo);
          hi = f64x2.mul(hi, hi);
        }
        s0 = f64x2.add(s0, lo);
        s1 = f64x2.add(s1, hi);
      }
      const t = f64x2.add(s0, s1);
      let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
      for (; j < size; j++) {
        const e = <f64>load<f32>(base + ((<usize>j) << 2));
        s += squares ? e * e : e;
      }
      store<f32>(dst, <f32>(s * scale));
      continue;
    }
    let k = 0;
    for (; k + 4 <= inner; k += 4) {
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let p = base + ((<usize>k) << 2);
      for (let j = 0; j < size; j++) {
        const v = v128.load(p);
        let lo = f64x2.promote_low_f32x4(v);
        let hi = f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1));
        if (squares) {
          lo = f64x2.mul(lo, lo);
          hi = f64x2.mul(hi, hi);
        }
        s0 = f64x2.add(s0, lo);
        s1 = f64x2.add(s1, hi);
        p += (<usize>inner) << 2;
      }
      const sc = f64x2.splat(scale);
      v128.store(dst + ((<usize>k) << 2), f32x4.demote_f64x2_zero(f64x2.mul(s0, sc)));
      v128.store64_lane(dst + ((<usize>k) << 2), f32x4.demote_f64x2_zero(f64x2.mul(s1, sc)), 0, 8);
    }
    for (; k < inner; k++) {
      let s: f64 = 0;
      let p = base + ((<usize>k) << 2);
      for (let j = 0; j < size; j++) {
        const e = <f64>load<f32>(p);
        s += squares ? e * e : e;
        p += (<usize>inner) << 2;
      }
      store<f32>(dst + ((<usize>k) << 2), <f32>(s * scale));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizers: the fused updates of optim.wgsl, every step rounded to f32 as the cpu kernel rounds it.

/** Adam / AdamW (decoupled) over n parameters. */
export function adam(
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  lr: f32,
  wd: f32,
  b1: f32,
  b2: f32,
  eps: f32,
  stepSize: f32,
  bc2sqrt: f32,
  decoupled: bool,
): void {
  const decay = f32x4.splat(<f32>1 - lr * wd);
  const vwd = f32x4.splat(wd);
  const c1 = f32x4.splat(<f32>1 - b1);
  const vb2 = f32x4.splat(b2);
  const c2 = f32x4.splat(<f32>1 - b2);
  const veps = f32x4.splat(eps);
  const vstep = f32x4.splat(stepSize);
  const vbc = f32x4.splat(bc2sqrt);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    let wi = v128.load(w + i);
    let gi = v128.load(g + i);
    if (decoupled) wi = f32x4.mul(wi, decay);
    else if (wd != 0) gi = f32x4.add(gi, f32x4.mul(vwd, wi));
    let mi = v128.load(m + i);
    mi = f32x4.add(mi, f32x4.mul(f32x4.sub(gi, mi), c1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + i), vb2), f32x4.mul(f32x4.mul(c2, gi), gi));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vbc), veps);
    v128.store(m + i, mi);
    v128.store(v + i, vi);
    v128.store(w + i, f32x4.sub(wi, f32x4.mul(vstep, f32x4.div(mi, denom))));
  }
  for (; i < end; i += 4) {
    let wi = load<f32>(w + i);
    let gi = load<f32>(g + i);
    if (decoupled) wi = wi * (<f32>1 - lr * wd);
    else if (wd != 0) gi = gi + wd * wi;
    let mi = load<f32>(m + i);
    mi = mi + (gi - mi) * (<f32>1 - b1);
    const vi = load<f32>(v + i) * b2 + (<f32>1 - b2) * gi * gi;
    const denom = sqrt<f32>(vi) / bc2sqrt + eps;
    store<f32>(m + i, mi);
    store<f32>(v + i, vi);
    store<f32>(w + i, wi - stepSize * (mi / denom));
  }
}

/** SGD with optional weight decay, momentum (buf), dampening and Nesterov. */
export function sgd(
  w: usize,
  g: usize,
  buf: usize,
  n: i32,
  lr: f32,
  wd: f32,
  mom: f32,
  damp: f32,
  nesterov: bool,
  first: bool,
): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(wd);
  const vmom = f32x4.splat(mom);
  const vdamp = f32x4.splat(<f32>1 - damp);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    const wi = v128.load(w + i);
    let gi = v128.load(g + i);
    if (wd != 0) gi = f32x4.add(gi, f32x4.mul(vwd, wi));
    if (mom != 0) {
      const bi = first ? gi : f32x4.add(f32x4.mul(v128.load(buf + i), vmom), f32x4.mul(vdamp, gi));
      v128.store(buf + i, bi);
      gi = nesterov ? f32x4.add(gi, f32x4.mul(vmom, bi)) : bi;
    }
    v128.store(w + i, f32x4.sub(wi, f32x4.mul(vlr, gi)));
  }
  for (; i < end; i += 4) {
    const wi = load<f32>(w + i);
    let gi = load<f32>(g + i);
    if (wd != 0) gi = gi + wd * wi;
    if (mom != 0) {
      const bi = first ? gi : load<f32>(buf + i) * mom + (<f32>1 - damp) * gi;
      store<f32>(buf + i, bi);
      gi = nesterov ? gi + mom * bi : bi;
    }
    store<f32>(w + i, wi - lr * gi);
  }
}

/** RMSprop with optional weight decay and momentum (buf). */
export function rmsprop(
  w: usize,
  g: usize,
  sq: usize,
  buf: usize,
  n: i32,
  lr: f32,
  wd: f32,
  alpha: f32,
  eps: f32,
  mom: f32,
): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(wd);
  const va = f32x4.splat(alpha);
  const c = f32x4.splat(<f32>1 - alpha);
  const veps = f32x4.splat(eps);
  const vmom = f32x4.splat(mom);
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    const wi = v128.load(w + i);
    let gi = v128.load(g + i);
    if (wd != 0) gi = f32x4.add(gi, f32x4.mul(vwd, wi));
    const si = f32x4.add(f32x4.mul(v128.load(sq + i), va), f32x4.mul(f32x4.mul(c, gi), gi));
    v128.store(sq + i, si);
    const avg = f32x4.add(f32x4.sqrt(si), veps);
    if (mom != 0) {
      const bi = f32x4.add(f32x4.mul(v128.load(buf + i), vmom), f32x4.div(gi, avg));
      v128.store(buf + i, bi);
      v128.store(w + i, f32x4.sub(wi, f32x4.mul(vlr, bi)));
    } else {
      v128.store(w + i, f32x4.sub(wi, f32x4.mul(vlr, f32x4.div(gi, avg))));
    }
  }
  for (; i < end; i += 4) {
    const wi = load<f32>(w + i);
    let gi = load<f32>(g + i);
    if (wd != 0) gi = gi + wd * wi;
    const si = load<f32>(sq + i) * alpha + (<f32>1 - alpha) * gi * gi;
    store<f32>(sq + i, si);
    const avg = sqrt<f32>(si) + eps;
    if (mom != 0) {
      const bi = load<f32>(buf + i) * mom + gi / avg;
      store<f32>(buf + i, bi);
      store<f32>(w + i, wi - lr * bi);
    } else {
      store<f32>(w + i, wi - lr * (gi / avg));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The data pipeline's gathers (uint8 datasets resident in memory)

/**
 * Image rows of uint8 pixels gathered by index (index[indexOffset + r]) and normalised, as
 * gather.wgsl does: ((p / 255) - mean) / std in f32. A row index past the `srcRows` rows the source
 * holds gives NaN, as the cpu kernel's out-of-range read does.
 */
export function gatherImages(
  src: usize,
  srcRows: i32,
  index: usize,
  indexOffset: i32,
  rows: i32,
  rowSize: i32,
  mean: f32,
  std: f32,
  out: usize,
): void {
  const vm = f32x4.splat(mean);
  const vs = f32x4.splat(std);
  const v255 = f32x4.splat(255);
  for (let r = 0; r < rows; r++) {
    const row = load<i32>(index + ((<usize>(indexOffset + r)) << 2));
    const o = out + ((<usize>r * <usize>rowSize) << 2);
    if (row < 0 || row >= srcRows) {
      for (let j = 0; j < rowSize; j++) store<f32>(o + ((<usize>j) << 2), NaN);
      continue;
    }
    const from = src + <usize>row * <usize>rowSize;
    let j = 0;
    for (; j + 4 <= rowSize; j += 4) {
      const bytes = v128.load32_zero(from + <usize>j);
      const words = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes));
      const v = f32x4.div(f32x4.sub(f32x4.div(f32x4.convert_i32x4_u(words), v255), vm), vs);
      v128.store(o + ((<usize>j) << 2), v);
    }
    for (; j < rowSize; j++) {
      const p = <f32>load<u8>(from + <usize>j);
      store<f32>(o + ((<usize>j) << 2), (p / 255 - mean) / std);
    }
  }
}
