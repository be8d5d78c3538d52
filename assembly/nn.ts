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

/**
 * Training batch norm's statistics per channel (sums in f64, as the cpu kernel): stats[c] = mean,
 * stats[C + c] = 1 / sqrt(biased variance + eps), and the running mean and variance updated with
 * `momentum` (momentumVar carries the unbiased variance's factor).
 */
export function batchNormStats(
  x: usize,
  stats: usize,
  runningMean: usize,
  runningVar: usize,
  N: i32,
  C: i32,
  S: i32,
  eps: f64,
  momentum: f64,
  momentumVar: f64,
): void {
  const count = <f64>N * <f64>S;
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) {
      let p = x + ((<usize>(n * C + c) * <usize>S) << 2);
      for (let j = 0; j < S; j++) {
        s += <f64>load<f32>(p);
        p += 4;
      }
    }
    const m = s / count;
    let q: f64 = 0;
    for (let n = 0; n < N; n++) {
      let p = x + ((<usize>(n * C + c) * <usize>S) << 2);
      for (let j = 0; j < S; j++) {
        const d = <f64>load<f32>(p) - m;
        q += d * d;
        p += 4;
      }
    }
    const variance = q / count;
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

/** Batch norm backward's per-channel sums: dbias = sum(g), dweight = sum(g * xhat) (f64, as the cpu kernel). */
export function batchNormBackwardSums(
  x: usize,
  dy: usize,
  y: usize,
  stats: usize,
  dweight: usize,
  dbias: usize,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  for (let c = 0; c < C; c++) {
    const m = <f64>load<f32>(stats + ((<usize>c) << 2));
    const is = <f64>load<f32>(stats + ((<usize>(C + c)) << 2));
    let sg: f64 = 0;
    let sgx: f64 = 0;
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>S) << 2;
      for (let j = 0; j < S; j++) {
        const i = off + ((<usize>j) << 2);
        const g = <f64>bnGrad(dy, y, i, relu);
        sg += g;
        sgx += g * (<f64>load<f32>(x + i) - m) * is;
      }
    }
    store<f32>(dbias + ((<usize>c) << 2), <f32>sg);
    store<f32>(dweight + ((<usize>c) << 2), <f32>sgx);
  }
}

/** Batch norm backward (training): dx = scale * (g - dbias / count - xhat * dweight / count). */
export function batchNormBackward(
  x: usize,
  dy: usize,
  y: usize,
  stats: usize,
  weight: usize,
  dweight: usize,
  dbias: usize,
  out: usize,
  N: i32,
  C: i32,
  S: i32,
  relu: bool,
): void {
  const count = <f64>N * <f64>S;
  for (let c = 0; c < C; c++) {
    const at = (<usize>c) << 2;
    const m = <f64>load<f32>(stats + at);
    const is = <f64>load<f32>(stats + ((<usize>C) << 2) + at);
    const scale = is * (weight ? <f64>load<f32>(weight + at) : 1);
    const db = <f64>load<f32>(dbias + at) / count;
    const dw = <f64>load<f32>(dweight + at) / count;
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>S) << 2;
      for (let j = 0; j < S; j++) {
        const i = off + ((<usize>j) << 2);
        const xhat = (<f64>load<f32>(x + i) - m) * is;
        store<f32>(out + i, <f32>(scale * (<f64>bnGrad(dy, y, i, relu) - db - xhat * dw)));
      }
    }
  }
}
