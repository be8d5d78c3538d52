/**
 * Turns a drawing into an MNIST-like input, the way MNIST itself was made: crop the ink, scale it
 * (area-averaged, aspect kept) to fit a 20x20 box, then place it in a 28x28 frame with its centre
 * of mass at the centre. Values are [0, 1], white ink on black, as the model saw in training.
 */

/** MNIST's frame and the box its digits were scaled to fit. */
export const MNIST_SIZE = 28;
const FIT = 20;
/** Ink below this counts as background when cropping (anti-aliased stroke edges). */
const INK = 0.05;

/** A greyscale image in [0, 1], row-major. */
export interface Grey {
  width: number;
  height: number;
  data: Float32Array;
}

/** Reads an RGBA canvas image as greyscale from its red channel (the pad draws white on black). */
export function greyFromRgba(rgba: Uint8ClampedArray, width: number, height: number): Grey {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4] / 255;
  return { width, height, data };
}

/** The 28x28 MNIST-style input for a drawing; all zeros when nothing is drawn. */
export function toMnist(img: Grey): Float32Array {
  const out = new Float32Array(MNIST_SIZE * MNIST_SIZE);
  let x0 = img.width;
  let y0 = img.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      if (img.data[y * img.width + x] > INK) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = FIT / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  // Area averaging: each small pixel is the mean of the source pixels it covers.
  const small = new Float32Array(sw * sh);
  for (let j = 0; j < sh; j++) {
    const ya = y0 + Math.floor((j * bh) / sh);
    const yb = Math.max(ya + 1, y0 + Math.floor(((j + 1) * bh) / sh));
    for (let i = 0; i < sw; i++) {
      const xa = x0 + Math.floor((i * bw) / sw);
      const xb = Math.max(xa + 1, x0 + Math.floor(((i + 1) * bw) / sw));
      let sum = 0;
      for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) sum += img.data[y * img.width + x];
      small[j * sw + i] = sum / ((yb - ya) * (xb - xa));
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let j = 0; j < sh; j++)
    for (let i = 0; i < sw; i++) {
      const v = small[j * sw + i];
      mass += v;
      mx += v * (i + 0.5);
      my += v * (j + 0.5);
    }
  const ox = Math.round(MNIST_SIZE / 2 - mx / mass);
  const oy = Math.round(MNIST_SIZE / 2 - my / mass);
  for (let j = 0; j < sh; j++)
    for (let i = 0; i < sw; i++) {
      const x = i + ox;
      const y = j + oy;
      if (x >= 0 && x < MNIST_SIZE && y >= 0 && y < MNIST_SIZE)
        out[y * MNIST_SIZE + x] = Math.min(1, small[j * sw + i]);
    }
  return out;
}
