// The WASM backend's convolution kernels (part of assembly/kernels.ts): at stride 1, the
// products read the columns in place from zero-padded images (implicit im2col); other strides
// unfold them first (im2col, col2im) for the matrix products of matmul.ts.
//
// Every pointer is a byte address in the imported linear memory, where the wasm backend
// (src/tensor/wasm.ts) keeps every tensor; every count is in elements. Each kernel computes what the
// cpu reference backend (src/tensor/cpu.ts) computes for the same kernel (sums in another order).

import { lanes, madd, putSum, tailMask } from './simd';

// ---------------------------------------------------------------------------------------------
// Convolution's column matrices

/**
 * The outputs ow of a row of OW whose input column ow * S + kw - P lies inside [0, W): [lo, hi).
 * Only stride 1 asks (its runs are contiguous); other strides take the per-element path.
 */
@inline
function runStart(kw: i32, P: i32, OW: i32): i32 {
  return min(max(P - kw, 0), OW);
}

@inline
function runEnd(kw: i32, P: i32, W: i32, OW: i32, lo: i32): i32 {
  return max(min(W - kw + P, OW), lo);
}

/**
 * im2col: out[n, (c, kh, kw), (oh, ow)] = the input pixel under that kernel tap, 0 in the padding,
 * for `images` images of [C, H, W]; a row of OW outputs at a time. At stride 1 a row is zeros, a
 * contiguous run of the input row, zeros: copied 4 floats at a time.
 */
export function im2col(
  src: usize,
  out: usize,
  images: i32,
  C: i32,
  H: i32,
  W: i32,
  KH: i32,
  KW: i32,
  OH: i32,
  OW: i32,
  S: i32,
  P: i32,
): void {
  let o = out;
  const rowBytes = (<usize>OW) << 2;
  for (let nn = 0; nn < images; nn++)
    for (let c = 0; c < C; c++) {
      const plane = src + ((<usize>(nn * C + c) * <usize>H * <usize>W) << 2);
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++)
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - P;
            if (ih < 0 || ih >= H) {
              memory.fill(o, 0, rowBytes);
              o += rowBytes;
              continue;
            }
            const row = plane + ((<usize>ih * <usize>W) << 2);
            if (S == 1) {
              const lo = runStart(kw, P, OW);
              const hi = runEnd(kw, P, W, OW, lo);
              let ow = 0;
              for (; ow < lo; ow++) store<f32>(o + ((<usize>ow) << 2), 0);
              const from = row + (<usize>(kw - P) << 2); // the input of output 0 (read from lo on)
              for (; ow + 4 <= hi; ow += 4) v128.store(o + ((<usize>ow) << 2), v128.load(from + ((<usize>ow) << 2)));
              for (; ow < hi; ow++) store<f32>(o + ((<usize>ow) << 2), load<f32>(from + ((<usize>ow) << 2)));
              for (; ow < OW; ow++) store<f32>(o + ((<usize>ow) << 2), 0);
              o += rowBytes;
              continue;
            }
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - P;
              store<f32>(o, iw >= 0 && iw < W ? load<f32>(row + ((<usize>iw) << 2)) : 0);
              o += 4;
            }
          }
    }
}

/**
 * col2im: im2col's adjoint, each column entry added into the pixel it was read from (out zeroed
 * first). Every pixel takes its entries in the same order whatever the vector width, so the sums
 * are the cpu kernel's to the bit.
 */
export function col2im(
  src: usize,
  out: usize,
  images: i32,
  C: i32,
  H: i32,
  W: i32,
  KH: i32,
  KW: i32,
  OH: i32,
  OW: i32,
  S: i32,
  P: i32,
): void {
  memory.fill(out, 0, (<usize>images * <usize>C * <usize>H * <usize>W) << 2);
  const rowBytes = (<usize>OW) << 2;
  let s = src;
  for (let nn = 0; nn < images; nn++)
    for (let c = 0; c < C; c++) {
      const plane = out + ((<usize>(nn * C + c) * <usize>H * <usize>W) << 2);
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++)
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - P;
            if (ih < 0 || ih >= H) {
              s += rowBytes;
              continue;
            }
            const row = plane + ((<usize>ih * <usize>W) << 2);
            if (S == 1) {
              const lo = runStart(kw, P, OW);
              const hi = runEnd(kw, P, W, OW, lo);
              const to = row + (<usize>(kw - P) << 2); // the pixel of output 0 (written from lo on)
              let ow = lo;
              for (; ow + 4 <= hi; ow += 4) {
                const p = to + ((<usize>ow) << 2);
                v128.store(p, f32x4.add(v128.load(p), v128.load(s + ((<usize>ow) << 2))));
              }
              for (; ow < hi; ow++) {
                const p = to + ((<usize>ow) << 2);
                store<f32>(p, load<f32>(p) + load<f32>(s + ((<usize>ow) << 2)));
              }
              s += rowBytes;
              continue;
            }
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - P;
              if (iw >= 0 && iw < W) {
                const p = row + ((<usize>iw) << 2);
                store<f32>(p, load<f32>(p) + load<f32>(s));
              }
              s += 4;
            }
          }
    }
}

/**
 * A convolution's bias and ReLU over `rows` rows of N outputs (images x channels): row r takes
 * bias[r % M] (0 without a bias), then the ReLU where asked.
 */
export function rowBias(out: usize, bias: usize, rows: i32, N: i32, M: i32, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const b: f32 = bias ? load<f32>(bias + ((<usize>(r % M)) << 2)) : 0;
    const vb = f32x4.splat(b);
    const o = out + ((<usize>r * <usize>N) << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let v = v128.load(o + ((<usize>j) << 2));
      if (bias) v = f32x4.add(v, vb);
      if (relu) v = f32x4.max(v, zero);
      v128.store(o + ((<usize>j) << 2), v);
    }
    for (; j < N; j++) {
      let v = load<f32>(o + ((<usize>j) << 2));
      if (bias) v += b;
      if (relu) v = max<f32>(v, 0);
      store<f32>(o + ((<usize>j) << 2), v);
    }
  }
}


// ---------------------------------------------------------------------------------------------
// Implicit im2col: products reading the columns in place from zero-padded images (stride 1)
//
// Tap k = (c, kh, kw) of a window reads the padded image at offs[k] = (c * Hp * Wp + kh * Wp + kw)
// * 4 bytes from the window's corner, so column k of output (oh, ow) is x[offs[k] + (oh * Wp + ow)
// * 4]: a row of outputs reads a contiguous run of every tap's row, with no bounds test. The
// backend writes offs (one int32 per tap) before the launch.

/** n floats from src to dst (runs of a row: unaligned, any length), 4 at a time. */
@inline
function copyRun(dst: usize, src: usize, n: i32): void {
  const end = (<usize>n) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < end; i += 4) store<f32>(dst + i, load<f32>(src + i));
}

/** Zero-padded copies of `planes` planes [H, W] into [H + 2P, W + 2P] (the border zeros). */
export function padPlanes(src: usize, dst: usize, planes: i32, H: i32, W: i32, P: i32): void {
  const Wp = W + 2 * P;
  const edge = (<usize>(P * Wp + P)) << 2; // the top rows and the first row's left border (and, mirrored, the end)
  const between = (<usize>(2 * P)) << 2; // a row's right border and the next row's left
  let d = dst;
  for (let q = 0; q < planes; q++) {
    const s = src + ((<usize>q * <usize>H * <usize>W) << 2);
    memory.fill(d, 0, edge);
    d += edge;
    for (let h = 0; h < H; h++) {
      copyRun(d, s + ((<usize>h * <usize>W) << 2), W);
      d += (<usize>W) << 2;
      if (h < H - 1) {
        memory.fill(d, 0, between);
        d += between;
      }
    }
    memory.fill(d, 0, edge);
    d += edge;
  }
}

/** The interiors [H, W] of `planes` padded planes [H + 2P, W + 2P]: padPlanes undone. */
export function unpadPlanes(src: usize, dst: usize, planes: i32, H: i32, W: i32, P: i32): void {
  const Wp = W + 2 * P;
  for (let q = 0; q < planes; q++) {
    const s = src + ((<usize>q * <usize>(H + 2 * P) * <usize>Wp + <usize>(P * Wp + P)) << 2);
    const d = dst + ((<usize>q * <usize>H * <usize>W) << 2);
    for (let h = 0; h < H; h++) copyRun(d + ((<usize>h * <usize>W) << 2), s + ((<usize>h * <usize>Wp) << 2), W);
  }
}

/**
 * Convolution forward, stride 1, for `images` padded images: out[m, oh, ow] = the sum over taps k
 * of w[m, k] * x[offs[k] + (oh * Wp + ow) * 4]. Register blocks of 4 output channels by 8 outputs
 * of a row, as matmul's; x and out advance by xImage and outImage bytes per image (the threads
 * split by image: each output is the same code's whatever the split).
 */
export function convForward(
  w: usize,
  x: usize,
  offs: usize,
  out: usize,
  M: i32,
  K: i32,
  OH: i32,
  OW: i32,
  Wp: i32,
  images: i32,
  xImage: usize,
  outImage: usize,
): void {
  const rowW = (<usize>K) << 2;
  const rowO = (<usize>(OH * OW)) << 2;
  for (let img = 0; img < images; img++) {
    const xi = x + <usize>img * xImage;
    const oi = out + <usize>img * outImage;
    for (let oh = 0; oh < OH; oh++) {
      const xr = xi + ((<usize>oh * <usize>Wp) << 2);
      const orow = oi + ((<usize>oh * <usize>OW) << 2);
      let m = 0;
      for (; m + 4 <= M; m += 4) {
        const w0 = w + <usize>m * rowW;
        const o0 = orow + <usize>m * rowO;
        let j = 0;
        for (; j + 8 <= OW; j += 8) {
          let c00 = f32x4.splat(0);
          let c01 = f32x4.splat(0);
          let c10 = f32x4.splat(0);
          let c11 = f32x4.splat(0);
          let c20 = f32x4.splat(0);
          let c21 = f32x4.splat(0);
          let c30 = f32x4.splat(0);
          let c31 = f32x4.splat(0);
          const xj = xr + ((<usize>j) << 2);
          for (let k = 0; k < K; k++) {
            const pb = xj + <usize>load<u32>(offs + ((<usize>k) << 2));
            const b0 = v128.load(pb);
            const b1 = v128.load(pb, 16);
            const pa = w0 + ((<usize>k) << 2);
            const x0 = f32x4.splat(load<f32>(pa));
            const x1 = f32x4.splat(load<f32>(pa + rowW));
            const x2 = f32x4.splat(load<f32>(pa + 2 * rowW));
            const x3 = f32x4.splat(load<f32>(pa + 3 * rowW));
            c00 = madd(x0, b0, c00);
            c01 = madd(x0, b1, c01);
            c10 = madd(x1, b0, c10);
            c11 = madd(x1, b1, c11);
            c20 = madd(x2, b0, c20);
            c21 = madd(x2, b1, c21);
            c30 = madd(x3, b0, c30);
            c31 = madd(x3, b1, c31);
          }
          const o = o0 + ((<usize>j) << 2);
          v128.store(o, c00);
          v128.store(o, c01, 16);
          v128.store(o + rowO, c10);
          v128.store(o + rowO, c11, 16);
          v128.store(o + 2 * rowO, c20);
          v128.store(o + 2 * rowO, c21, 16);
          v128.store(o + 3 * rowO, c30);
          v128.store(o + 3 * rowO, c31, 16);
        }
        for (; j + 4 <= OW; j += 4) forward4x4(xr + ((<usize>j) << 2), w0, offs, K, rowW, o0 + ((<usize>j) << 2), rowO);
        // The last 1-3 outputs of the row: the 4 that end it, again (the same code gives the same values).
        if (j < OW && OW >= 4) {
          j = OW - 4;
          forward4x4(xr + ((<usize>j) << 2), w0, offs, K, rowW, o0 + ((<usize>j) << 2), rowO);
        } else
          for (; j < OW; j++)
            for (let r = 0; r < 4; r++)
              store<f32>(o0 + <usize>r * rowO + ((<usize>j) << 2), dotTaps(w0 + <usize>r * rowW, xr + ((<usize>j) << 2), offs, K));
      }
      for (; m < M; m++) {
        const w0 = w + <usize>m * rowW;
        const o0 = orow + <usize>m * rowO;
        let j = 0;
        for (; j + 4 <= OW; j += 4) forward1x4(xr + ((<usize>j) << 2), w0, offs, K, o0 + ((<usize>j) << 2));
        if (j < OW && OW >= 4) forward1x4(xr + ((<usize>(OW - 4)) << 2), w0, offs, K, o0 + ((<usize>(OW - 4)) << 2));
        else for (; j < OW; j++) store<f32>(o0 + ((<usize>j) << 2), dotTaps(w0, xr + ((<usize>j) << 2), offs, K));
      }
    }
  }
}

/** 4 output channels (w's rows rowW apart) by 4 outputs of a row of convForward, stored rowO apart. */
function forward4x4(xj: usize, w0: usize, offs: usize, K: i32, rowW: usize, o: usize, rowO: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(xj + <usize>load<u32>(offs + ((<usize>k) << 2)));
    const pa = w0 + ((<usize>k) << 2);
    c0 = madd(f32x4.splat(load<f32>(pa)), b0, c0);
    c1 = madd(f32x4.splat(load<f32>(pa + rowW)), b0, c1);
    c2 = madd(f32x4.splat(load<f32>(pa + 2 * rowW)), b0, c2);
    c3 = madd(f32x4.splat(load<f32>(pa + 3 * rowW)), b0, c3);
  }
  v128.store(o, c0);
  v128.store(o + rowO, c1);
  v128.store(o + 2 * rowO, c2);
  v128.store(o + 3 * rowO, c3);
}

/** One output channel by 4 outputs of a row of convForward. */
function forward1x4(xj: usize, w0: usize, offs: usize, K: i32, o: usize): void {
  let c0 = f32x4.splat(0);
  for (let k = 0; k < K; k++)
    c0 = madd(f32x4.splat(load<f32>(w0 + ((<usize>k) << 2))), v128.load(xj + <usize>load<u32>(offs + ((<usize>k) << 2))), c0);
  v128.store(o, c0);
}

/** One output of convForward: w's row dotted with the taps of the window at x. */
@inline
function dotTaps(w: usize, x: usize, offs: usize, K: i32): f32 {
  let s: f32 = 0;
  for (let k = 0; k < K; k++) s += load<f32>(w + ((<usize>k) << 2)) * load<f32>(x + <usize>load<u32>(offs + ((<usize>k) << 2)));
  return s;
}

/** A vector added into memory at p. */
@inline
function addTo(p: usize, v: v128): void {
  v128.store(p, f32x4.add(v128.load(p), v));
}

/**
 * Convolution input gradient, stride 1, into `images` padded images (zeroed here): each tap's
 * column of w^T dy, summed over the output channels, is added where im2col read it, dx[offs[k] +
 * (oh * Wp + ow) * 4] (col2im without the columns in memory). Blocks of 4 taps by 8 outputs of a
 * row; w is [OC, K], dy [OC, OH, OW] per image (dyImage bytes apart), dx dxImage bytes apart.
 */
export function convBackwardInput(
  w: usize,
  dy: usize,
  offs: usize,
  dx: usize,
  K: i32,
  OC: i32,
  OH: i32,
  OW: i32,
  Wp: i32,
  images: i32,
  dyImage: usize,
  dxImage: usize,
): void {
  const rowW = (<usize>K) << 2;
  const rowD = (<usize>(OH * OW)) << 2;
  for (let img = 0; img < images; img++) {
    const di = dy + <usize>img * dyImage;
    const xi = dx + <usize>img * dxImage;
    memory.fill(xi, 0, dxImage);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const t0 = xi + <usize>load<u32>(offs + ((<usize>k) << 2));
      const t1 = xi + <usize>load<u32>(offs + ((<usize>k) << 2), 4);
      const t2 = xi + <usize>load<u32>(offs + ((<usize>k) << 2), 8);
      const t3 = xi + <usize>load<u32>(offs + ((<usize>k) << 2), 12);
      const wk = w + ((<usize>k) << 2);
      for (let oh = 0; oh < OH; oh++) {
        const drow = di + ((<usize>oh * <usize>OW) << 2);
        const xrow = (<usize>oh * <usize>Wp) << 2;
        let j = 0;
        for (; j + 8 <= OW; j += 8) {
          let c00 = f32x4.splat(0);
          let c01 = f32x4.splat(0);
          let c10 = f32x4.splat(0);
          let c11 = f32x4.splat(0);
          let c20 = f32x4.splat(0);
          let c21 = f32x4.splat(0);
          let c30 = f32x4.splat(0);
          let c31 = f32x4.splat(0);
          const dj = drow + ((<usize>j) << 2);
          for (let oc = 0; oc < OC; oc++) {
            const pb = dj + <usize>oc * rowD;
            const b0 = v128.load(pb);
            const b1 = v128.load(pb, 16);
            const pa = wk + <usize>oc * rowW;
            const x0 = f32x4.splat(load<f32>(pa));
            const x1 = f32x4.splat(load<f32>(pa, 4));
            const x2 = f32x4.splat(load<f32>(pa, 8));
            const x3 = f32x4.splat(load<f32>(pa, 12));
            c00 = madd(x0, b0, c00);
            c01 = madd(x0, b1, c01);
            c10 = madd(x1, b0, c10);
            c11 = madd(x1, b1, c11);
            c20 = madd(x2, b0, c20);
            c21 = madd(x2, b1, c21);
            c30 = madd(x3, b0, c30);
            c31 = madd(x3, b1, c31);
          }
          const at = xrow + ((<usize>j) << 2);
          addTo(t0 + at, c00);
          addTo(t0 + at + 16, c01);
          addTo(t1 + at, c10);
          addTo(t1 + at + 16, c11);
          addTo(t2 + at, c20);
          addTo(t2 + at + 16, c21);
          addTo(t3 + at, c30);
          addTo(t3 + at + 16, c31);
        }
        const all = i32x4.splat(-1);
        for (; j + 4 <= OW; j += 4)
          backward4x4(drow + ((<usize>j) << 2), wk, OC, rowW, rowD, t0, t1, t2, t3, xrow + ((<usize>j) << 2), all);
        // The last 1-3 outputs of the row: the 4 that end it, adding only the lanes not added yet.
        if (j < OW && OW >= 4) {
          const at = OW - 4;
          const mask = tailMask(OW - j);
          backward4x4(drow + ((<usize>at) << 2), wk, OC, rowW, rowD, t0, t1, t2, t3, xrow + ((<usize>at) << 2), mask);
        } else
          for (; j < OW; j++) {
            const at = xrow + ((<usize>j) << 2);
            const dj = drow + ((<usize>j) << 2);
            store<f32>(t0 + at, load<f32>(t0 + at) + dotChannels(wk, dj, OC, rowW, rowD));
            store<f32>(t1 + at, load<f32>(t1 + at) + dotChannels(wk + 4, dj, OC, rowW, rowD));
            store<f32>(t2 + at, load<f32>(t2 + at) + dotChannels(wk + 8, dj, OC, rowW, rowD));
            store<f32>(t3 + at, load<f32>(t3 + at) + dotChannels(wk + 12, dj, OC, rowW, rowD));
          }
      }
    }
    for (; k < K; k++) {
      const t0 = xi + <usize>load<u32>(offs + ((<usize>k) << 2));
      const wk = w + ((<usize>k) << 2);
      for (let oh = 0; oh < OH; oh++) {
        const drow = di + ((<usize>oh * <usize>OW) << 2);
        const xrow = (<usize>oh * <usize>Wp) << 2;
        let j = 0;
        for (; j + 4 <= OW; j += 4)
          backward1x4(drow + ((<usize>j) << 2), wk, OC, rowW, rowD, t0 + xrow + ((<usize>j) << 2), i32x4.splat(-1));
        if (j < OW && OW >= 4)
          backward1x4(drow + ((<usize>(OW - 4)) << 2), wk, OC, rowW, rowD, t0 + xrow + ((<usize>(OW - 4)) << 2), tailMask(OW - j));
        else
          for (; j < OW; j++) {
            const at = t0 + xrow + ((<usize>j) << 2);
            store<f32>(at, load<f32>(at) + dotChannels(wk, drow + ((<usize>j) << 2), OC, rowW, rowD));
          }
      }
    }
  }
}

/**
 * 4 taps by 4 outputs of a row of convBackwardInput: w^T dy's block, added at `at` bytes into the
 * taps' rows t0..t3 where `mask` keeps the lane.
 */
function backward4x4(
  dj: usize,
  wk: usize,
  OC: i32,
  rowW: usize,
  rowD: usize,
  t0: usize,
  t1: usize,
  t2: usize,
  t3: usize,
  at: usize,
  mask: v128,
): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  for (let oc = 0; oc < OC; oc++) {
    const b0 = v128.load(dj + <usize>oc * rowD);
    const pa = wk + <usize>oc * rowW;
    c0 = madd(f32x4.splat(load<f32>(pa)), b0, c0);
    c1 = madd(f32x4.splat(load<f32>(pa, 4)), b0, c1);
    c2 = madd(f32x4.splat(load<f32>(pa, 8)), b0, c2);
    c3 = madd(f32x4.splat(load<f32>(pa, 12)), b0, c3);
  }
  addTo(t0 + at, v128.and(c0, mask));
  addTo(t1 + at, v128.and(c1, mask));
  addTo(t2 + at, v128.and(c2, mask));
  addTo(t3 + at, v128.and(c3, mask));
}

/** One tap by 4 outputs of a row of convBackwardInput, added at p where `mask` keeps the lane. */
function backward1x4(dj: usize, wk: usize, OC: i32, rowW: usize, rowD: usize, p: usize, mask: v128): void {
  let c0 = f32x4.splat(0);
  for (let oc = 0; oc < OC; oc++) c0 = madd(f32x4.splat(load<f32>(wk + <usize>oc * rowW)), v128.load(dj + <usize>oc * rowD), c0);
  addTo(p, v128.and(c0, mask));
}

/** One column entry of w^T dy: the sum over output channels of w[oc, k] * dy[oc, position]. */
@inline
function dotChannels(wk: usize, d: usize, OC: i32, rowW: usize, rowD: usize): f32 {
  let s: f32 = 0;
  for (let oc = 0; oc < OC; oc++) s += load<f32>(wk + <usize>oc * rowW) * load<f32>(d + <usize>oc * rowD);
  return s;
}

/**
 * Convolution weight gradient, stride 1, as its transpose: out[k * sOk + oc * sOc] (+)= the sum
 * over `images` padded images and their outputs of x[offs[k] + (oh * Wp + ow) * 4] * dy[oc, oh,
 * ow], each tap's run of a row against each channel's row of dy, both contiguous (no columns in
 * memory). Blocks of 4 taps by 2 channels, 8 vector accumulators over every image's rows, their
 * lanes summed at the end; a row's last partial vector re-reads lanes counted already, masked
 * (OW >= 4; the backend unfolds rows under 16 outputs, where that is faster). Threads split by
 * taps, in blocks of 4.
 */
export function convBackwardWeight(
  x: usize,
  dy: usize,
  offs: usize,
  out: usize,
  K: i32,
  OC: i32,
  OH: i32,
  OW: i32,
  Wp: i32,
  images: i32,
  xImage: usize,
  dyImage: usize,
  sOk: i32,
  sOc: i32,
  accumulate: bool,
): void {
  const rowD = (<usize>(OH * OW)) << 2;
  const ok = (<usize>sOk) << 2;
  const oc4 = (<usize>sOc) << 2;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const f0 = <usize>load<u32>(offs + ((<usize>k) << 2));
    const f1 = <usize>load<u32>(offs + ((<usize>k) << 2), 4);
    const f2 = <usize>load<u32>(offs + ((<usize>k) << 2), 8);
    const f3 = <usize>load<u32>(offs + ((<usize>k) << 2), 12);
    let oc = 0;
    for (; oc + 2 <= OC; oc += 2) {
      let c00 = f32x4.splat(0);
      let c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0);
      let c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0);
      let c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0);
      let c31 = f32x4.splat(0);
      const body = (<usize>(OW & ~3)) << 2;
      const r = OW & 3;
      const mask = tailMask(r);
      const t = ((<usize>OW) << 2) - 16;
      for (let img = 0; img < images; img++) {
        const xi = x + <usize>img * xImage;
        const di = dy + <usize>img * dyImage + <usize>oc * rowD;
        for (let oh = 0; oh < OH; oh++) {
          const xr = xi + ((<usize>oh * <usize>Wp) << 2);
          const b0 = di + ((<usize>oh * <usize>OW) << 2);
          const a0 = xr + f0;
          const a1 = xr + f1;
          const a2 = xr + f2;
          const a3 = xr + f3;
          for (let p: usize = 0; p < body; p += 16) {
            const y0 = v128.load(b0 + p);
            const y1 = v128.load(b0 + rowD + p);
            const x0 = v128.load(a0 + p);
            const x1 = v128.load(a1 + p);
            const x2 = v128.load(a2 + p);
            const x3 = v128.load(a3 + p);
            c00 = madd(x0, y0, c00);
            c01 = madd(x0, y1, c01);
            c10 = madd(x1, y0, c10);
            c11 = madd(x1, y1, c11);
            c20 = madd(x2, y0, c20);
            c21 = madd(x2, y1, c21);
            c30 = madd(x3, y0, c30);
            c31 = madd(x3, y1, c31);
          }
          if (r) {
            // Both operands masked: a re-read lane of 0 * Inf would be NaN.
            const y0 = v128.and(v128.load(b0 + t), mask);
            const y1 = v128.and(v128.load(b0 + rowD + t), mask);
            const x0 = v128.and(v128.load(a0 + t), mask);
            const x1 = v128.and(v128.load(a1 + t), mask);
            const x2 = v128.and(v128.load(a2 + t), mask);
            const x3 = v128.and(v128.load(a3 + t), mask);
            c00 = madd(x0, y0, c00);
            c01 = madd(x0, y1, c01);
            c10 = madd(x1, y0, c10);
            c11 = madd(x1, y1, c11);
            c20 = madd(x2, y0, c20);
            c21 = madd(x2, y1, c21);
            c30 = madd(x3, y0, c30);
            c31 = madd(x3, y1, c31);
          }
        }
      }
      const o = out + <usize>k * ok + <usize>oc * oc4;
      putSum(o, lanes(c00), accumulate);
      putSum(o + oc4, lanes(c01), accumulate);
      putSum(o + ok, lanes(c10), accumulate);
      putSum(o + ok + oc4, lanes(c11), accumulate);
      putSum(o + 2 * ok, lanes(c20), accumulate);
      putSum(o + 2 * ok + oc4, lanes(c21), accumulate);
      putSum(o + 3 * ok, lanes(c30), accumulate);
      putSum(o + 3 * ok + oc4, lanes(c31), accumulate);
    }
    for (; oc < OC; oc++)
      for (let q = 0; q < 4; q++) {
        const f = <usize>load<u32>(offs + ((<usize>(k + q)) << 2));
        const v = dotRuns(x + f, dy + <usize>oc * rowD, OH, OW, Wp, images, xImage, dyImage);
        putSum(out + <usize>(k + q) * ok + <usize>oc * oc4, v, accumulate);
      }
  }
  for (; k < K; k++) {
    const f = <usize>load<u32>(offs + ((<usize>k) << 2));
    for (let oc = 0; oc < OC; oc++) {
      const v = dotRuns(x + f, dy + <usize>oc * rowD, OH, OW, Wp, images, xImage, dyImage);
      putSum(out + <usize>k * ok + <usize>oc * oc4, v, accumulate);
    }
  }
}

/** One output of convBackwardWeight: a tap's runs against a channel's rows, over every image. */
@inline
function dotRuns(a: usize, b: usize, OH: i32, OW: i32, Wp: i32, images: i32, xImage: usize, dyImage: usize): f32 {
  const body = (<usize>(OW & ~3)) << 2;
  const r = OW & 3;
  const mask = tailMask(r);
  const t = ((<usize>OW) << 2) - 16;
  let c = f32x4.splat(0);
  for (let img = 0; img < images; img++)
    for (let oh = 0; oh < OH; oh++) {
      const pa = a + <usize>img * xImage + ((<usize>oh * <usize>Wp) << 2);
      const pb = b + <usize>img * dyImage + ((<usize>oh * <usize>OW) << 2);
      for (let p: usize = 0; p < body; p += 16) c = madd(v128.load(pa + p), v128.load(pb + p), c);
      if (r) c = madd(v128.and(v128.load(pa + t), mask), v128.and(v128.load(pb + t), mask), c);
    }
  return lanes(c);
}
