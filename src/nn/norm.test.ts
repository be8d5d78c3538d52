/**
 * BatchNorm, LayerNorm and Dropout as modules: gradients in train and eval mode (finite differences
 * on cpu, webgpu against cpu), running statistics with unbiased variance and num_batches_tracked
 * against values computed by hand, LayerNorm's state dict and per-position output, and dropout's
 * scaling, kept fraction, per-call masks and eval identity.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { F } from '../autograd';
import { gradcheck, leaf, normal, positive, size } from '../autograd/testing';
import type { Backend } from '../tensor/backend';
import { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { tidy } from '../tensor/tensor';
import { assertClose, bothBackends, readAll } from '../tensor/testing';
import { Dropout } from './dropout';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from './norm';

describe('BatchNorm', () => {
  const saved = getDefaultBackend();
  afterEach(() => setDefaultBackend(saved));

  /** A BatchNorm on backend b with seeded affine parameters. */
  function batchNorm(b: Backend, kind: '1d' | '2d', C: number) {
    setDefaultBackend(b);
    const bn = kind === '1d' ? new BatchNorm1d(C) : new BatchNorm2d(C);
    setDefaultBackend(saved);
    b.write(bn.weight!.storage, positive([C], 30));
    b.write(bn.bias!.storage, normal([C], 31));
    return bn;
  }

  // [5, 3, 9, 11] has 495 values per channel: more than a workgroup's 256 threads; [2, 2, 17, 19]
  // has planes of 323, at least 256, which the per-channel kernels walk without dividing.
  for (const [kind, shape] of [
    ['1d', [6, 3]],
    ['2d', [3, 2, 3, 5]],
    ['2d', [5, 3, 9, 11]],
    ['2d', [2, 2, 17, 19]],
  ] as const) {
    test(`BatchNorm${kind} gradients in train mode (input, weight, bias)`, async () => {
      await gradcheck(
        `BatchNorm${kind} train`,
        (b) => {
          const bn = batchNorm(b, kind, shape[1]);
          const x = leaf(b, normal([...shape], 32, 2), [...shape]);
          return { leaves: [x, bn.weight!, bn.bias!], forward: () => bn.forward(x) };
        },
        { rtol: 3e-2, atol: 5e-3 },
        { rtol: 1e-3, atol: 1e-4 },
      );
    });

    test(`BatchNorm${kind} gradients in eval mode`, async () => {
      await gradcheck(`BatchNorm${kind} eval`, (b) => {
        const bn = batchNorm(b, kind, shape[1]);
        b.write(bn.buffer('running_mean').storage, normal([shape[1]], 33));
        b.write(bn.buffer('running_var').storage, positive([shape[1]], 34));
        bn.eval();
        const x = leaf(b, normal([...shape], 35), [...shape]);
        return { leaves: [x, bn.weight!, bn.bias!], forward: () => bn.forward(x) };
      });
    });

    for (const mode of ['train', 'eval'] as const) {
      test(`BatchNorm${kind} with its ReLU fused (${mode}) matches BatchNorm then ReLU: output and gradients`, async () => {
        for (const b of await bothBackends()) {
          const results = [];
          for (const fused of [true, false]) {
            const bn = batchNorm(b, kind, shape[1]);
            if (mode === 'eval') {
              b.write(bn.buffer('running_mean').storage, normal([shape[1]], 33));
              b.write(bn.buffer('running_var').storage, positive([shape[1]], 34));
              bn.eval();
            }
            const x = leaf(b, normal([...shape], 36, 2), [...shape]);
            const weights = ops.tensor(b, normal([...shape], 37), [...shape]);
            const y = fused ? bn.forwardRelu(x) : F.relu(bn.forward(x));
            F.sum(F.mul(y, weights)).backward();
            results.push(await readAll([y, x.grad!, bn.weight!.grad!, bn.bias!.grad!]));
          }
          const [fused, plain] = results;
          // Some outputs are clamped to zero, and there the gradient is zero too.
          expect(Array.from(fused[0]).filter((v) => v === 0).length).toBeGreaterThan(0);
          ['output', 'input grad', 'weight grad', 'bias grad'].forEach((what, i) => {
            assertClose(fused[i], plain[i], 1e-5, 1e-6, `${what} on ${b.name}`);
          });
        }
      });
    }

    test(`BatchNorm${kind} running statistics, num_batches_tracked and eval output match values computed by hand`, async () => {
      const C = shape[1];
      const n = size([...shape]) / C;
      const batches = [normal([...shape], 40, 2), normal([...shape], 41, 3)];
      // Per-channel mean and (biased, unbiased) variance over every dim but 1.
      const stats = (x: Float32Array) =>
        Array.from({ length: C }, (_, c) => {
          const vals = Array.from(x).filter(
            (_, i) => Math.floor(i / (size([...shape]) / shape[0] / C)) % C === c,
          );
          const m = vals.reduce((a, v) => a + v, 0) / n;
          const ss = vals.reduce((a, v) => a + (v - m) ** 2, 0);
          return { m, biased: ss / n, unbiased: ss / (n - 1) };
        });
      let rm = new Array(C).fill(0);
      let rv = new Array(C).fill(1);
      for (const x of batches) {
        const s = stats(x);
        rm = rm.map((v, c) => 0.9 * v + 0.1 * s[c].m);
        rv = rv.map((v, c) => 0.9 * v + 0.1 * s[c].unbiased);
      }
      const gamma = positive([C], 30);
      const beta = normal([C], 31);
      const probe = normal([...shape], 42);
      const perElement = size([...shape]) / shape[0] / C;
      const wantEval = Array.from(probe, (v, i) => {
        const c = Math.floor(i / perElement) % C;
        return ((v - rm[c]) / Math.sqrt(rv[c] + 1e-5)) * gamma[c] + beta[c];
      });
      const last = stats(batches[1]);
      const wantTrain = Array.from(batches[1], (v, i) => {
        const c = Math.floor(i / perElement) % C;
        return ((v - last[c].m) / Math.sqrt(last[c].biased + 1e-5)) * gamma[c] + beta[c];
      });
      for (const b of await bothBackends()) {
        const bn = batchNorm(b, kind, C);
        let train: Float32Array | undefined;
        for (const x of batches)
          train = (await readAll(tidy(() => bn.forward(ops.tensor(b, x, [...shape])))))[0] as Float32Array;
        const sd = await bn.stateDictData();
        assertClose(sd.get('running_mean')!.data, rm, 1e-5, 1e-6, `${b.name} running_mean`);
        assertClose(sd.get('running_var')!.data, rv, 1e-5, 1e-6, `${b.name} running_var`);
        expect(sd.get('num_batches_tracked')).toMatchObject({ shape: [], dtype: 'int32' });
        expect(Array.from(sd.get('num_batches_tracked')!.data)).toEqual([2]);
        assertClose(train!, wantTrain, 1e-4, 1e-5, `${b.name} train output`);
        bn.eval();
        const [out] = await readAll(tidy(() => bn.forward(ops.tensor(b, probe, [...shape]))));
        assertClose(out, wantEval, 1e-4, 1e-5, `${b.name} eval output`);
        // Eval leaves the running statistics alone.
        const after = await bn.stateDictData();
        assertClose(after.get('running_mean')!.data, rm, 1e-5, 1e-6, `${b.name} running_mean after eval`);
        expect(Array.from(after.get('num_batches_tracked')!.data)).toEqual([2]);
      }
    });
  }

  test('affine=false: gradients and output without weight and bias', async () => {
    const shape = [4, 3, 5, 7];
    await gradcheck('BatchNorm2d affine=false', (b) => {
      setDefaultBackend(b);
      const bn = new BatchNorm2d(3, { affine: false });
      setDefaultBackend(saved);
      expect(bn.weight).toBeUndefined();
      const x = leaf(b, normal(shape, 36, 2), shape);
      return { leaves: [x], forward: () => F.mul(bn.forward(x), ops.tensor(b, normal(shape, 37), shape)) };
    });
  });

  test('training on one value per channel is an error, as in PyTorch', () => {
    const bn = new BatchNorm1d(3);
    expect(() => bn.forward(ops.full(getDefaultBackend(), [1, 3], 0))).toThrow(
      /more than 1 value per channel/,
    );
  });
});

describe('LayerNorm', () => {
  const saved = getDefaultBackend();
  afterEach(() => setDefaultBackend(saved));

  test('state-dict keys and shapes as torch: weight (ones) and bias (zeros), bias=False, elementwise_affine=False', async () => {
    const sd = await new LayerNorm(5).stateDictData();
    expect([...sd].map(([k, t]) => [k, t.shape])).toEqual([
      ['weight', [5]],
      ['bias', [5]],
    ]);
    expect(Array.from(sd.get('weight')!.data)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(sd.get('bias')!.data)).toEqual([0, 0, 0, 0, 0]);
    expect([...new LayerNorm(5, { bias: false }).stateDict().keys()]).toEqual(['weight']);
    expect([...new LayerNorm(5, { elementwiseAffine: false }).stateDict().keys()]).toEqual([]);
  });

  test('normalises every position of [B, T, C] with eps, and its gradients check', async () => {
    const shape = [2, 3, 6];
    const x = normal(shape, 50, 3);
    const want = Array.from(x, (_, i) => {
      const row = x.subarray(i - (i % 6), i - (i % 6) + 6);
      const m = row.reduce((a, v) => a + v, 0) / 6;
      const v = row.reduce((a, r) => a + (r - m) ** 2, 0) / 6;
      return (x[i] - m) / Math.sqrt(v + 0.1);
    });
    for (const b of await bothBackends()) {
      setDefaultBackend(b);
      const ln = new LayerNorm(6, { eps: 0.1 });
      setDefaultBackend(saved);
      const [y] = await readAll(tidy(() => ln.forward(ops.tensor(b, x, shape))));
      assertClose(y, want, 1e-5, 1e-6, `${b.name} output`);
    }
    await gradcheck('LayerNorm', (b) => {
      setDefaultBackend(b);
      const ln = new LayerNorm(6);
      setDefaultBackend(saved);
      b.write(ln.weight!.storage, positive([6], 51));
      b.write(ln.bias!.storage, normal([6], 52));
      const xl = leaf(b, x, shape);
      return { leaves: [xl, ln.weight!, ln.bias!], forward: () => ln.forward(xl) };
    });
  });

  test('an input whose last dim is not normalized_shape is refused in one line', () => {
    expect(() => new LayerNorm(4).forward(ops.full(getDefaultBackend(), [2, 3], 0))).toThrow(
      /layerNorm over \[4\] got input of shape \[2,3\]/,
    );
  });
});

describe('Dropout module', () => {
  test('training: zeros or x / (1 - p), kept fraction close to 1 - p, fresh mask per call; eval: identity', async () => {
    for (const b of await bothBackends()) {
      manualSeed(5);
      const p = 0.3;
      const d = new Dropout(p);
      const n = 20000;
      const x = ops.tensor(b, positive([n], 43), [n]);
      const xs = (await x.data()) as Float32Array;
      const [y1, y2] = await readAll([d.forward(x), d.forward(x)]);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        if (y1[i] !== 0) {
          kept++;
          expect(y1[i]).toBeCloseTo(xs[i] / (1 - p), 5);
        }
      }
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(0.015);
      expect(Array.from(y2)).not.toEqual(Array.from(y1));
      d.eval();
      const [y3] = await readAll(d.forward(x));
      expect(Array.from(y3)).toEqual(Array.from(xs));
    }
  });

  test('the same seed gives the same mask on both backends', async () => {
    const masks: Float32Array[] = [];
    for (const b of await bothBackends()) {
      manualSeed(11);
      masks.push((await readAll(new Dropout(0.5).forward(ops.full(b, [999], 1))))[0] as Float32Array);
    }
    expect(Array.from(masks[1])).toEqual(Array.from(masks[0]));
  });

  test('gradient flows through the kept elements only, scaled by 1 / (1 - p)', async () => {
    for (const b of await bothBackends()) {
      manualSeed(3);
      const x = leaf(b, new Float32Array(500).fill(1), [500]);
      const y = new Dropout(0.25).forward(x);
      F.sum(y).backward();
      const [yv, gv] = [await y.data(), await x.grad!.data()];
      expect(Array.from(gv)).toEqual(Array.from(yv));
      expect(new Set(Array.from(gv).map((v) => v.toFixed(5)))).toEqual(
        new Set(['0.00000', (1 / 0.75).toFixed(5)]),
      );
    }
  });

  test('p outside [0, 1) is rejected', () => {
    expect(() => new Dropout(1)).toThrow(/\[0, 1\)/);
    expect(() => new Dropout(-0.1)).toThrow(/\[0, 1\)/);
  });
});
