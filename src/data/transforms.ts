/**
 * torchvision-style transforms for byte images. They run on the host for a single item
 * (Dataset.getItem), and the DataLoader's fast path reads the same mean/std to normalise whole
 * batches on the GPU, so both paths give the same numbers.
 */

/** A transform from pixel values to pixel values. */
export interface Transform {
  apply(x: Float32Array): Float32Array;
}

/** Scales bytes 0..255 to floats in [0, 1], like torchvision's ToTensor. */
export class ToTensor implements Transform {
  apply(x: Float32Array): Float32Array {
    return x.map((v) => Math.fround(v / 255));
  }
}

/** (x - mean) / std, per channel (one channel here), like torchvision's Normalize. */
export class Normalize implements Transform {
  constructor(
    readonly mean: number[],
    readonly std: number[],
  ) {
    if (mean.length !== 1 || std.length !== 1)
      throw new Error('Normalize: only single-channel images are supported');
    if (std[0] === 0) throw new Error('Normalize: std must be non-zero');
  }

  apply(x: Float32Array): Float32Array {
    const [m, s] = [Math.fround(this.mean[0]), Math.fround(this.std[0])];
    return x.map((v) => Math.fround(Math.fround(v - m) / s));
  }
}

/** Applies transforms in order. */
export class Compose implements Transform {
  constructor(readonly transforms: Transform[]) {}

  apply(x: Float32Array): Float32Array {
    return this.transforms.reduce((v, t) => t.apply(v), x);
  }
}

/**
 * The affine map a transform chain applies to raw bytes, as (x/255 - mean)/std, when it is one the
 * GPU gather kernel can apply; null otherwise.
 */
export function byteNormalization(t: Transform | undefined): { mean: number; std: number } | null {
  const list = t instanceof Compose ? t.transforms : t ? [t] : [];
  if (!(list[0] instanceof ToTensor)) return null;
  if (list.length === 1) return { mean: 0, std: 1 };
  if (list.length === 2 && list[1] instanceof Normalize)
    return { mean: list[1].mean[0], std: list[1].std[0] };
  return null;
}
