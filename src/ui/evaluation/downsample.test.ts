import { describe, expect, it } from 'vitest';
import { type Grey, greyFromRgba, MNIST_SIZE, toMnist } from './downsample';

function canvas(width: number, height: number, ink: (x: number, y: number) => boolean): Grey {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = ink(x, y) ? 1 : 0;
  return { width, height, data };
}

function centreOfMass(img: Float32Array): [number, number] {
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < MNIST_SIZE; y++)
    for (let x = 0; x < MNIST_SIZE; x++) {
      const v = img[y * MNIST_SIZE + x];
      m += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  return [cx / m, cy / m];
}

describe('toMnist', () => {
  it('gives zeros for an empty drawing', () => {
    expect(toMnist(canvas(280, 280, () => false)).every((v) => v === 0)).toBe(true);
  });

  it('scales the ink to fit 20 pixels and centres its mass, wherever it was drawn', () => {
    // A tall bar in the top-left corner of the pad.
    const out = toMnist(canvas(280, 280, (x, y) => x >= 10 && x < 50 && y >= 5 && y < 205));
    const [cx, cy] = centreOfMass(out);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    const rows = new Set<number>();
    const cols = new Set<number>();
    out.forEach((v, i) => {
      if (v > 0) {
        rows.add(Math.floor(i / MNIST_SIZE));
        cols.add(i % MNIST_SIZE);
      }
    });
    expect(rows.size).toBe(20);
    expect(cols.size).toBe(4);
    expect(Math.max(...out)).toBeCloseTo(1);
  });

  it('reads white-on-black canvas pixels from the red channel into [0, 1]', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 51, 51, 51, 255]);
    expect(greyFromRgba(rgba, 3, 1).data).toEqual(Float32Array.from([1, 0, 0.2]));
  });
});
