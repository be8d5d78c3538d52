// The WASM backend's pooling and batch-norm kernels (part of assembly/kernels.ts).
//
// Every pointer is a byte address in the imported linear memory, where the wasm backend
// (src/tensor/wasm.ts) keeps every tensor; every count is in elements. Each kernel computes what the
// cpu reference backend (src/tensor/cpu.ts) computes for the same kernel.

// ---------------------------------------------------------------------------------------------
// Pooling and batch norm (x laid out [N, C, S], S the pixels of a channel)

/** Max pooling of `planes` planes of [H, W]: the max of each window (NaN wins) and its index in the plane. */
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
  let o: usize = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = src + ((<usize>plane * <usize>H * <usize>W) << 2);
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let best: f32 = -Infinity; // what the cpu kernel stores for a window wholly in the padding
        let at = -1;
        for (let kh = 0; kh < K; kh++) {
          const ih = oh * S + kh - P;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < K; kw++) {
            const iw = ow * S + kw - P;
            if (iw < 0 || iw >= W) continue;
            const v = load<f32>(base + ((<usize>(ih * W + iw)) << 2));
            if (at < 0 || v > best || (isNaN(v) && !isNaN(best))) {
              best = v;
              at = ih * W + iw;
            }
          }
        }
        store<f32>(out + o, best);
        store<i32>(indices + o, at);
        o += 4;
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
