// The WASM backend's pooling and batch-norm kernels (part of assembly/kernels.ts).
//
// Every pointer is a byte address in the imported linear memory, where the wasm backend
// (src/tensor/wasm.ts) keeps every tensor; every count is in elements. Each kernel computes what the
// cpu reference backend (src/tensor/cpu.ts) computes for the same kernel.

// ---------------------------------------------------------------------------------------------
// Pooling and batch norm (x laid out [N, C, S], S the pixels of a channel)

/**
 * Whether window value v takes the lead from best (the cpu kernel's rule: greater, or the first
 * NaN; on ties the first in window order stays): where best is NaN nothing takes its place, and
 * elsewhere v does unless v <= best (NaN included). Without a branch: which tap wins is data.
 */
@inline
function poolTakes(v: f32, best: f32): bool {
  return (best == best) & !(v <= best);
}

/** poolTakes for 4 windows at once: a lane mask. */
@inline
function poolTakes4(v: v128, best: v128): v128 {
  return v128.andnot(f32x4.eq(best, best), f32x4.le(v, best));
}

/**
 * Max pooling of `planes` planes of [H, W]: the max of each window (NaN wins, -Infinity for a
 * window wholly in the padding) and its index in the plane (-1 then). Each window visits only its
 * taps inside the plane, so no tap is bounds-checked; 4 windows side by side that the plane's left
 * and right edges do not cut are computed together, a lane each, and 2x2 windows at stride 2
 * without padding have a path of their own (maxPool2x2).
 */
export function maxPool(
  src: usize,
  out: usize,
  indices: usize,
  planes: i32,
  H: i32,
  W: i32,
  OH: i32,
  OW: i32,
  K: i32,
  S: i32,
  P: i32,
): void {
  if (K == 2 && S == 2 && P == 0 && OW >= 4) {
    maxPool2x2(src, out, indices, planes, H, W, OH, OW);
    return;
  }
  const lanes = i32x4(0, S, 2 * S, 3 * S);
  const step = (<usize>S) << 2;
  let o: usize = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = src + ((<usize>plane * <usize>H * <usize>W) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const top = oh * S - P;
      const ih0 = max(top, 0);
      const ih1 = min(top + K, H);
      for (let ow = 0; ow < OW; ) {
        const left = ow * S - P;
        if (ih0 < ih1 && left >= 0 && ow + 4 <= OW && left + 3 * S + K <= W) {
          // 4 windows side by side, none cut by the plane's left or right edge: a lane each.
          const first = i32x4.add(i32x4.splat(ih0 * W + left), lanes);
          let at = first;
          let best = poolGather(base + ((<usize>(ih0 * W + left)) << 2), step);
          for (let ih = ih0; ih < ih1; ih++) {
            const row = ih * W + left;
            for (let kw = 0; kw < K; kw++) {
              const v = poolGather(base + ((<usize>(row + kw)) << 2), step);
              const take = poolTakes4(v, best);
              best = v128.bitselect(v, best, take);
              at = v128.bitselect(i32x4.add(i32x4.splat(row + kw), lanes), at, take);
            }
          }
          v128.store(out + o, best);
          v128.store(indices + o, at);
          o += 16;
          ow += 4;
          continue;
        }
        const iw0 = max(left, 0);
        const iw1 = min(left + K, W);
        let best: f32 = -Infinity; // what the cpu kernel stores for a window wholly in the padding
        let at = -1;
        if (ih0 < ih1 && iw0 < iw1) {
          // The first tap leads, then each tap in order (the first again, which does not take it).
          at = ih0 * W + iw0;
          best = load<f32>(base + ((<usize>at) << 2));
          for (let ih = ih0; ih < ih1; ih++) {
            const row = ih * W;
            for (let iw = iw0; iw < iw1; iw++) {
              const v = load<f32>(base + ((<usize>(row + iw)) << 2));
              const take = poolTakes(v, best);
              best = select<f32>(v, best, take);
              at = select<i32>(row + iw, at, take);
            }
          }
        }
        store<f32>(out + o, best);
        store<i32>(indices + o, at);
        o += 4;
        ow++;
      }
    }
  }
}

/** The same tap of 4 windows side by side: the floats at p and `step` bytes apart (one load at stride 1). */
@inline
function poolGather(p: usize, step: usize): v128 {
  if (step == 4) return v128.load(p);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
}

/**
 * maxPool's 2x2 windows at stride 2 without padding (OW >= 4), 4 windows at a time: the even and
 * odd columns of the window's two rows split out of 8 floats each, then the taps in window order.
 * A row's last 4 windows overlap the previous 4 where OW is not a multiple of 4: they are
 * computed again, to the same values.
 */
function maxPool2x2(
  src: usize,
  out: usize,
  indices: usize,
  planes: i32,
  H: i32,
  W: i32,
  OH: i32,
  OW: i32,
): void {
  const lanes = i32x4(0, 2, 4, 6);
  const right = i32x4.splat(1);
  const below = i32x4.splat(W);
  const belowRight = i32x4.splat(W + 1);
  const rowBytes = (<usize>W) << 2;
  for (let plane = 0; plane < planes; plane++) {
    const base = src + ((<usize>plane * <usize>H * <usize>W) << 2);
    const o0 = (<usize>plane * <usize>OH * <usize>OW) << 2;
    for (let oh = 0; oh < OH; oh++) {
      const r0 = base + ((<usize>(2 * oh)) * rowBytes);
      const r1 = r0 + rowBytes;
      const orow = o0 + ((<usize>(oh * OW)) << 2);
      for (let ow = 0; ow < OW; ow += 4) {
        const w = min(ow, OW - 4);
        const x = (<usize>(2 * w)) << 2;
        const a0 = v128.load(r0 + x);
        const b0 = v128.load(r0 + x + 16);
        const a1 = v128.load(r1 + x);
        const b1 = v128.load(r1 + x + 16);
        // The winner's offset from the window's first tap, added to that tap's index at the end.
        let best = v128.shuffle<f32>(a0, b0, 0, 2, 4, 6);
        let at = i32x4.splat(0);
        let v = v128.shuffle<f32>(a0, b0, 1, 3, 5, 7);
        let take = poolTakes4(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(right, at, take);
        v = v128.shuffle<f32>(a1, b1, 0, 2, 4, 6);
        take = poolTakes4(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(below, at, take);
        v = v128.shuffle<f32>(a1, b1, 1, 3, 5, 7);
        take = poolTakes4(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(belowRight, at, take);
        const y = orow + ((<usize>w) << 2);
        v128.store(out + y, best);
        v128.store(indices + y, i32x4.add(at, i32x4.add(i32x4.splat(2 * oh * W + 2 * w), lanes)));
      }
    }
  }
}

/**
 * Max pooling's backward for `planes` planes: each plane zeroed, then each output's gradient added
 * to its window's winner (in output order, so overlapping windows sum as the cpu kernel sums them);
 * a window with no winner (index -1: wholly in the padding) passes no gradient.
 */
export function maxPoolBackward(
  src: usize,
  argmax: usize,
  out: usize,
  planes: i32,
  H: i32,
  W: i32,
  OH: i32,
  OW: i32,
): void {
  const HW = H * W;
  const pooled = OH * OW;
  let s = src;
  let a = argmax;
  for (let plane = 0; plane < planes; plane++) {
    const base = out + ((<usize>plane * <usize>HW) << 2);
    memory.fill(base, 0, (<usize>HW) << 2);
    for (let j = 0; j < pooled; j++) {
      const at = load<i32>(a);
      // Unsigned: -1 (and any index outside the plane) writes nothing.
      if (<u32>at < <u32>HW) {
        const p = base + ((<usize>at) << 2);
        store<f32>(p, load<f32>(p) + load<f32>(s));
      }
      s += 4;
      a += 4;
    }
  }
}

/** The upper two lanes of 4 f32 as f64x2 (promote_low takes the lower two). */
@inline
function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1));
}

/** The sum of an f64x2's lanes. */
@inline
function lanesSum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** acc plus the 4 pixels v less m (squared when `squares`), in f64: two pixels a lane. */
@inline
function addDeviations(acc: v128, v: v128, vm: v128, squares: bool): v128 {
  let lo = f64x2.sub(f64x2.promote_low_f32x4(v), vm);
  let hi = f64x2.sub(promoteHigh(v), vm);
  if (squares) {
    lo = f64x2.mul(lo, lo);
    hi = f64x2.mul(hi, hi);
  }
  return f64x2.add(f64x2.add(acc, lo), hi);
}

/**
 * sum(x - m), or sum((x - m)^2) when `squares`, in f64 over one channel: N rows of S pixels from
 * p, `stride` bytes apart. Four rows at a time: a row is a few KB, and reading one at a time left
 * the memory idle at every row's start (half the speed of a contiguous read); then each row's
 * pixels past its last whole vector.
 */
function channelSum(p: usize, stride: usize, N: i32, S: i32, m: f64, squares: bool): f64 {
  const vm = f64x2.splat(m);
  const end = (<usize>(S & ~3)) << 2;
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let s2 = f64x2.splat(0);
  let s3 = f64x2.splat(0);
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const q = p + <usize>n * stride;
    for (let i: usize = 0; i < end; i += 16) {
      s0 = addDeviations(s0, v128.load(q + i), vm, squares);
      s1 = addDeviations(s1, v128.load(q + stride + i), vm, squares);
      s2 = addDeviations(s2, v128.load(q + 2 * stride + i), vm, squares);
      s3 = addDeviations(s3, v128.load(q + 3 * stride + i), vm, squares);
    }
  }
  for (; n < N; n++) {
    const q = p + <usize>n * stride;
    for (let i: usize = 0; i < end; i += 16) s0 = addDeviations(s0, v128.load(q + i), vm, squares);
  }
  let s = lanesSum(f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3)));
  for (n = 0; n < N; n++)
    for (let i = end; i < (<usize>S) << 2; i += 4) {
      const d = <f64>load<f32>(p + <usize>n * stride + i) - m;
      s += squares ? d * d : d;
    }
  return s;
}

/**
 * Training batch norm's statistics for `channels` channels of x [N, C, S] from the pointers given
 * (a thread's part: x, stats and the running ones start at its first channel), sums in f64 as the
 * cpu kernel: stats[c] = mean, stats[C + c] = 1 / sqrt(biased variance + eps), and the running
 * mean and variance updated with `momentum` (momentumVar carries the unbiased variance's factor).
 */
export function batchNormStats(
  x: usize,
  stats: usize,
  runningMean: usize,
  runningVar: usize,
  channels: i32,
  N: i32,
  C: i32,
  S: i32,
  eps: f64,
  momentum: f64,
  momentumVar: f64,
): void {
  const count = <f64>N * <f64>S;
  const stride = (<usize>C * <usize>S) << 2;
  for (let c = 0; c < channels; c++) {
    const p = x + ((<usize>c * <usize>S) << 2);
    const m = channelSum(p, stride, N, S, 0, false) / count;
    const variance = channelSum(p, stride, N, S, m, true) / count;
    const at = (<usize>c) << 2;
    store<f32>(stats + at, <f32>m);
    store<f32>(stats + ((<usize>C) << 2) + at, <f32>(1 / Math.sqrt(variance + eps)));
    store<f32>(runningMean + at, <f32>((1 - momentum) * <f64>load<f32>(runningMean + at) + momentum * m));
    store<f32>(runningVar + at, <f32>((1 - momentum) * <f64>load<f32>(runningVar + at) + momentumVar * variance));
  }
}

/** out = (x - mean) * invstd (* weight + bias) (ReLU), per channel, 4 pixels at a time. */
export function batchNormApply(
  x: usize,
  stats: usize,
  weight: usize,
  bias: usize,
  out: usize,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  const zero = f32x4.splat(0);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const m = load<f32>(stats + ((<usize>c) << 2));
      const is = load<f32>(stats + ((<usize>(C + c)) << 2));
      const w: f32 = weight ? load<f32>(weight + ((<usize>c) << 2)) : 1;
      const b: f32 = bias ? load<f32>(bias + ((<usize>c) << 2)) : 0;
      const vm = f32x4.splat(m);
      const vis = f32x4.splat(is);
      const vw = f32x4.splat(w);
      const vb = f32x4.splat(b);
      const off = (<usize>(n * C + c) * <usize>S) << 2;
      const end = (<usize>S) << 2;
      let i: usize = 0;
      for (; i + 16 <= end; i += 16) {
        let v = f32x4.mul(f32x4.sub(v128.load(x + off + i), vm), vis);
        if (weight) v = f32x4.add(f32x4.mul(v, vw), vb);
        if (relu) v = f32x4.max(v, zero);
        v128.store(out + off + i, v);
      }
      for (; i < end; i += 4) {
        let v = (load<f32>(x + off + i) - m) * is;
        if (weight) v = v * w + b;
        if (relu) v = max<f32>(v, 0);
        store<f32>(out + off + i, v);
      }
    }
}

/** The upstream gradient at byte offset i, through the fused ReLU (masked where its output y was not > 0). */
@inline
function bnGrad(dy: usize, y: usize, i: usize, relu: bool): f32 {
  const g = load<f32>(dy + i);
  return relu && !(load<f32>(y + i) > 0) ? 0 : g;
}

/** bnGrad of the 4 pixels at byte offset i, masked without a branch (a NaN y masks, as there). */
@inline
function bnGrad4(dy: usize, y: usize, i: usize, relu: bool): v128 {
  const g = v128.load(dy + i);
  return relu ? v128.and(g, f32x4.gt(v128.load(y + i), f32x4.splat(0))) : g;
}

/** acc plus [sum(g), sum(g * (x - m))] of the 4 pixels at byte offset i, in f64. */
@inline
function addGradTerms(acc: v128, x: usize, dy: usize, y: usize, i: usize, vm: v128, relu: bool): v128 {
  const g = bnGrad4(dy, y, i, relu);
  const v = v128.load(x + i);
  const g0 = f64x2.promote_low_f32x4(g);
  const g1 = promoteHigh(g);
  const sg = f64x2.add(g0, g1);
  const sgd = f64x2.add(
    f64x2.mul(g0, f64x2.sub(f64x2.promote_low_f32x4(v), vm)),
    f64x2.mul(g1, f64x2.sub(promoteHigh(v), vm)),
  );
  return f64x2.add(acc, f64x2.add(v128.shuffle<f64>(sg, sgd, 0, 2), v128.shuffle<f64>(sg, sgd, 1, 3)));
}

/**
 * Batch norm backward's per-channel sums for `channels` channels of x [N, C, S] from the pointers
 * given (a thread's part: x, dy, y, stats, dweight and dbias start at its first channel), in f64 as
 * the cpu kernel, four rows at a time as channelSum: dbias = sum(g), dweight = sum(g * (x - mean))
 * * invstd.
 */
export function batchNormBackwardSums(
  x: usize,
  dy: usize,
  y: usize,
  stats: usize,
  dweight: usize,
  dbias: usize,
  channels: i32,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  const stride = (<usize>C * <usize>S) << 2;
  const end = (<usize>(S & ~3)) << 2;
  for (let c = 0; c < channels; c++) {
    const m = <f64>load<f32>(stats + ((<usize>c) << 2));
    const is = <f64>load<f32>(stats + ((<usize>(C + c)) << 2));
    const vm = f64x2.splat(m);
    const p = (<usize>c * <usize>S) << 2;
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const q = p + <usize>n * stride;
      for (let i: usize = 0; i < end; i += 16) {
        s0 = addGradTerms(s0, x, dy, y, q + i, vm, relu);
        s1 = addGradTerms(s1, x, dy, y, q + stride + i, vm, relu);
        s2 = addGradTerms(s2, x, dy, y, q + 2 * stride + i, vm, relu);
        s3 = addGradTerms(s3, x, dy, y, q + 3 * stride + i, vm, relu);
      }
    }
    for (; n < N; n++) {
      const q = p + <usize>n * stride;
      for (let i: usize = 0; i < end; i += 16) s0 = addGradTerms(s0, x, dy, y, q + i, vm, relu);
    }
    const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
    let sg = f64x2.extract_lane(s, 0);
    let sgd = f64x2.extract_lane(s, 1);
    for (n = 0; n < N; n++)
      for (let i = p + <usize>n * stride + end; i < p + <usize>n * stride + ((<usize>S) << 2); i += 4) {
        const g = <f64>bnGrad(dy, y, i, relu);
        sg += g;
        sgd += g * (<f64>load<f32>(x + i) - m);
      }
    store<f32>(dbias + ((<usize>c) << 2), <f32>sg);
    store<f32>(dweight + ((<usize>c) << 2), <f32>(sgd * is));
  }
}

/**
 * Batch norm backward (training) for `images` images of x [N, C, S] from the pointers given (a
 * thread's part: x, dy, y and out start at its first image): dx = scale * (g - dbias / count -
 * xhat * dweight / count) with count = N * S, 4 pixels at a time in f32 (xhat as batchNormApply
 * computes it).
 */
export function batchNormBackward(
  x: usize,
  dy: usize,
  y: usize,
  stats: usize,
  weight: usize,
  dweight: usize,
  dbias: usize,
  out: usize,
  images: i32,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  const count = <f64>N * <f64>S;
  const end = (<usize>S) << 2;
  for (let n = 0; n < images; n++)
    for (let c = 0; c < C; c++) {
      const at = (<usize>c) << 2;
      const m = load<f32>(stats + at);
      const is = load<f32>(stats + ((<usize>C) << 2) + at);
      const scale = weight ? is * load<f32>(weight + at) : is;
      const db = <f32>(<f64>load<f32>(dbias + at) / count);
      const dw = <f32>(<f64>load<f32>(dweight + at) / count);
      const vm = f32x4.splat(m);
      const vis = f32x4.splat(is);
      const vscale = f32x4.splat(scale);
      const vdb = f32x4.splat(db);
      const vdw = f32x4.splat(dw);
      const off = (<usize>(n * C + c) * <usize>S) << 2;
      let i: usize = 0;
      for (; i + 16 <= end; i += 16) {
        const xhat = f32x4.mul(f32x4.sub(v128.load(x + off + i), vm), vis);
        const d = f32x4.sub(f32x4.sub(bnGrad4(dy, y, off + i, relu), vdb), f32x4.mul(xhat, vdw));
        v128.store(out + off + i, f32x4.mul(vscale, d));
      }
      for (; i < end; i += 4) {
        const xhat = (load<f32>(x + off + i) - m) * is;
        store<f32>(out + off + i, scale * (bnGrad(dy, y, off + i, relu) - db - xhat * dw));
      }
    }
}
