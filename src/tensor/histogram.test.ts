/**
 * The histogram kernels (shaders/histogram.wgsl) against the cpu reference, on sizes that are not
 * multiples of the workgroup and larger than the launch's HIST_GROUPS workgroups cover at once.
 */
import { describe, expect, test } from 'vitest';
import { type Histogram, histograms, readHistograms, tensor } from './ops';
import { bothBackends, randnValues, webgpuBackend } from './testing';

/** Standard-normal values with NaN, +Inf and -Inf sprinkled in at fixed places. */
function awkward(n: number, seed: number): Float32Array {
  const v = randnValues(n, seed);
  for (let i = 3; i < n; i += 97) v[i] = Number.NaN;
  for (let i = 5; i < n; i += 131) v[i] = Number.POSITIVE_INFINITY;
  for (let i = 7; i < n; i += 163) v[i] = Number.NEGATIVE_INFINITY;
  return v;
}

async function counted(values: number[][], bins: number, range?: { lo: number; hi: number }) {
  const out: Histogram[][] = [];
  for (const b of await bothBackends()) {
    const xs = values.map((v) => tensor(b, v));
    const packed = histograms(xs, bins, range);
    out.push(await readHistograms(packed));
    for (const x of [...xs, packed]) x.dispose();
  }
  return out;
}

describe('histograms', () => {
  test('the kernels equal the cpu reference on awkward sizes, NaN and infinities counted apart', async () => {
    const sizes = [1, 7, 255, 257, 1000, 70001];
    const values = sizes.map((n, i) => Array.from(awkward(n, i)));
    const [cpu, gpu] = await counted(values, 30);
    sizes.forEach((_, i) => {
      const [c, g] = [cpu[i], gpu[i]];
      const v = values[i];
      expect(g.counts).toEqual(c.counts);
      expect([g.nan, g.posInf, g.negInf, g.min, g.max, g.lo, g.hi]).toEqual([
        c.nan,
        c.posInf,
        c.negInf,
        c.min,
        c.max,
        c.lo,
        c.hi,
      ]);
      expect(c.nan).toBe(v.filter(Number.isNaN).length);
      expect(c.posInf).toBe(v.filter((x) => x === Number.POSITIVE_INFINITY).length);
      expect(c.negInf).toBe(v.filter((x) => x === Number.NEGATIVE_INFINITY).length);
      const finite = v.filter(Number.isFinite);
      // Every finite element is in a bin, since the range is theirs.
      expect(c.counts.reduce((a, b) => a + b, 0)).toBe(finite.length);
      expect(c.min).toBe(Math.min(...finite));
      expect(c.max).toBe(Math.max(...finite));
      const sumSquares = finite.reduce((a, x) => a + x * x, 0);
      expect(Math.abs(g.sum - c.sum)).toBeLessThan(1e-5 * Math.max(1, sumSquares));
      expect(Math.abs(g.sumSquares - sumSquares)).toBeLessThan(1e-5 * Math.max(1, sumSquares));
    });
  });

  test('known values: the range is the finite extremes, and the maximum falls in the last bin', async () => {
    const x = [0, 0.25, 0.5, 0.75, 1, Number.NaN, Number.POSITIVE_INFINITY, -Infinity, -Infinity];
    for (const [h] of await counted([x], 4)) {
      expect(h).toEqual({
        lo: 0,
        hi: 1,
        counts: [1, 1, 1, 2],
        nan: 1,
        posInf: 1,
        negInf: 2,
        min: 0,
        max: 1,
        sum: 2.5,
        sumSquares: 1.875,
      });
    }
  });

  test('a given range: lo in the first bin, hi in the last, finite values outside it in none', async () => {
    for (const [h] of await counted([[-1, 0, 1.99, 2, 4, 5]], 2, { lo: 0, hi: 4 })) {
      expect([h.lo, h.hi, h.counts, h.min, h.max]).toEqual([0, 4, [2, 2], -1, 5]);
    }
  });

  test('a constant tensor goes to the first bin; one with no finite value to none', async () => {
    for (const [constant, nothing] of await counted(
      [
        [0.5, 0.5, 0.5],
        [Number.NaN, Infinity],
      ],
      3,
    )) {
      expect([constant.lo, constant.hi, constant.counts]).toEqual([0.5, 0.5, [3, 0, 0]]);
      expect(nothing.counts).toEqual([0, 0, 0]);
      expect([nothing.nan, nothing.posInf, nothing.min, nothing.max]).toEqual([1, 1, Number.NaN, Number.NaN]);
    }
  });

  test('the same counts and sums on every run on the GPU', async () => {
    const b = await webgpuBackend();
    const x = tensor(b, awkward(50000, 9));
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const packed = histograms([x], 64);
      runs.push(await readHistograms(packed));
      packed.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    x.dispose();
  });

  test('refuses a bin count the kernel cannot hold, and an empty range', async () => {
    const [b] = await bothBackends();
    const x = tensor(b, [1, 2]);
    expect(() => histograms([x], 0)).toThrow(/1 to 256 bins/);
    expect(() => histograms([x], 257)).toThrow(/1 to 256 bins/);
    expect(() => histograms([x], 4, { lo: 1, hi: 0 })).toThrow(/empty/);
    x.dispose();
  });
});
