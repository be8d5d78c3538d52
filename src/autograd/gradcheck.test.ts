/**
 * Gradient checks: every differentiable op in F against central finite differences on the cpu
 * backend (float32, so eps = 1e-2 and a tolerance to match), and the webgpu backend's gradients
 * against the cpu backend's. Inputs avoid kinks (relu at 0, ties in max) so differences are valid.
 * Module-level checks cover BatchNorm's running statistics and Dropout's two modes.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { BatchNorm1d, BatchNorm2d, Dropout } from '../nn';
import type { Backend } from '../tensor/backend';
import { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { type Tensor, tidy } from '../tensor/tensor';
import { assertClose, bothBackends, randnValues, readAll } from '../tensor/testing';
import { F, noGrad } from './index';

/** What a check differentiates: leaf tensors (inputs or parameters) and a forward pass over them. */
interface Case {
  leaves: Tensor[];
  forward: () => Tensor;
}

type Setup = (b: Backend) => Case;

const EPS = 1e-2;

/** A leaf tensor that requires grad. */
function leaf(b: Backend, values: ArrayLike<number>, shape: number[]): Tensor {
  return ops.tensor(b, values, shape).requiresGrad_();
}

const size = (shape: number[]) => shape.reduce((a, c) => a * c, 1);

/** Seeded standard-normal values times scale. */
const normal = (shape: number[], seed: number, scale = 1) => randnValues(size(shape), seed, scale);
/** Seeded values in [lo, lo + 2): domains of log, sqrt, fractional powers, denominators. */
const positive = (shape: number[], seed: number, lo = 0.5) =>
  normal(shape, seed).map((v) => lo + (Math.abs(v) % 2));
/** Seeded values with |x| >= 0.2, clear of relu's kink at 0 by more than eps. */
const offKink = (shape: number[], seed: number) =>
  normal(shape, seed).map((v) => Math.sign(v || 1) * (0.2 + Math.abs(v)));
/** A shuffle of distinct values 0.1 apart (no ties within eps), for max and max pooling. */
function distinct(shape: number[], seed: number): Float32Array {
  const n = size(shape);
  const keys = normal(shape, seed);
  const order = [...keys.keys()].sort((a, c) => keys[a] - keys[c]);
  const out = new Float32Array(n);
  order.forEach((i, rank) => {
    out[i] = (rank - n / 2) * 0.1;
  });
  return out;
}

/** loss = sum(out * w) with fixed seeded w, so every output element's gradient is exercised. */
function lossOf(out: Tensor): Tensor {
  const w = ops.tensor(out.backend, randnValues(out.size, 999), out.shape);
  return F.sum(F.mul(out, w));
}

/** Gradients of every leaf by backward(). */
async function analytic(c: Case): Promise<Float32Array[]> {
  for (const l of c.leaves) l.grad = null;
  tidy(() => lossOf(c.forward()).backward());
  const out: Float32Array[] = [];
  for (const l of c.leaves) {
    if (!l.grad) throw new Error(`leaf of shape [${l.shape}] got no gradient`);
    out.push((await l.grad.data()) as Float32Array);
  }
  return out;
}

/** Gradients of every leaf by central differences, perturbing each element in place. */
async function numeric(c: Case): Promise<Float32Array[]> {
  const at = async () => {
    const loss = noGrad(() => tidy(() => lossOf(c.forward())));
    const [v] = await readAll(loss);
    return v[0];
  };
  const out: Float32Array[] = [];
  for (const l of c.leaves) {
    const x = Float32Array.from((await l.data()) as Float32Array);
    const g = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + EPS;
      l.backend.write(l.storage, x);
      const plus = await at();
      x[i] = x0 - EPS;
      l.backend.write(l.storage, x);
      const minus = await at();
      x[i] = x0;
      l.backend.write(l.storage, x);
      g[i] = (plus - minus) / (2 * EPS);
    }
    out.push(g);
  }
  return out;
}

/** The whole check: cpu analytic vs finite differences, then webgpu analytic vs cpu analytic. */
async function gradcheck(
  name: string,
  setup: Setup,
  tol = { rtol: 2e-2, atol: 2e-3 },
  gpuTol = { rtol: 1e-4, atol: 1e-5 },
): Promise<void> {
  const [cpu, gpu] = await bothBackends();
  const cpuCase = setup(cpu);
  const want = await analytic(cpuCase);
  const num = await numeric(cpuCase);
  want.forEach((g, i) => {
    assertClose(g, num[i], tol.rtol, tol.atol, `${name}: d/d(input ${i}) analytic vs numeric`);
  });
  const got = await analytic(setup(gpu));
  want.forEach((g, i) => {
    assertClose(got[i], g, gpuTol.rtol, gpuTol.atol, `${name}: d/d(input ${i}) webgpu vs cpu`);
  });
}

describe('elementwise arithmetic with broadcasting and scalars', () => {
  const pairs: [number[], number[]][] = [
    [
      [3, 4],
      [3, 4],
    ],
    [[3, 4], [4]],
    [
      [3, 1],
      [1, 4],
    ],
    [
      [2, 3, 5],
      [3, 1],
    ],
    [[1], [2, 3]],
    [[], [5]],
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    test(`${op} with broadcasting`, async () => {
      for (const [sa, sb] of pairs) {
        await gradcheck(`${op} [${sa}] x [${sb}]`, (b) => {
          const x = leaf(b, normal(sa, 1), sa);
          const y = leaf(b, op === 'div' ? positive(sb, 2) : normal(sb, 2), sb);
          return { leaves: [x, y], forward: () => F[op](x, y) };
        });
      }
    });
    test(`${op} with a scalar`, async () => {
      await gradcheck(`${op} scalar`, (b) => {
        const x = leaf(b, normal([5, 3], 3), [5, 3]);
        return { leaves: [x], forward: () => F[op](x, -1.75) };
      });
    });
  }
});

describe('unary ops', () => {
  const shape = [3, 7];
  const cases: [string, (x: Tensor) => Tensor, (s: number[], seed: number) => Float32Array][] = [
    ['neg', F.neg, normal],
    ['exp', F.exp, normal],
    ['log', F.log, positive],
    ['sqrt', F.sqrt, positive],
    ['pow 2', (x) => F.pow(x, 2), normal],
    ['pow 3', (x) => F.pow(x, 3), normal],
    ['pow 0.5', (x) => F.pow(x, 0.5), positive],
    ['pow -1.5', (x) => F.pow(x, -1.5), positive],
    ['relu', F.relu, offKink],
    ['leakyRelu', (x) => F.leakyRelu(x, 0.1), offKink],
    ['gelu', F.gelu, normal],
    ['tanh', F.tanh, normal],
    ['sigmoid', F.sigmoid, normal],
  ];
  for (const [name, fn, values] of cases) {
    test(name, async () => {
      await gradcheck(name, (b) => {
        const x = leaf(b, values(shape, 4), shape);
        return { leaves: [x], forward: () => fn(x) };
      });
    });
  }

  test('a composite: exp(x) * sigmoid(x) / (1 + x^2), x used three times', async () => {
    await gradcheck('composite', (b) => {
      const x = leaf(b, normal([4, 5], 5), [4, 5]);
      return { leaves: [x], forward: () => F.div(F.mul(F.exp(x), F.sigmoid(x)), F.add(F.pow(x, 2), 1)) };
    });
  });
});

describe('shape ops', () => {
  const shape = [2, 3, 4];
  const cases: [string, (x: Tensor) => Tensor][] = [
    ['view', (x) => F.view(x, [4, -1])],
    ['flatten', (x) => F.flatten(x)],
    ['flatten from 0', (x) => F.flatten(x, 0)],
    ['permute', (x) => F.permute(x, [2, 0, 1])],
    ['transpose', (x) => F.transpose(x)],
    ['transpose 0 2', (x) => F.transpose(x, 0, 2)],
    // A shape op followed by a nonlinear one, so the gradient's layout matters.
    ['permute then exp', (x) => F.exp(F.permute(x, [1, 2, 0]))],
  ];
  for (const [name, fn] of cases) {
    test(name, async () => {
      await gradcheck(name, (b) => {
        const x = leaf(b, normal(shape, 6), shape);
        return { leaves: [x], forward: () => fn(x) };
      });
    });
  }
});

describe('reductions', () => {
  const shape = [3, 4, 5];
  const dimSets: (number | number[] | undefined)[] = [undefined, 0, 1, -1, [0, 1], [1, 2], [0, 2]];
  for (const op of ['sum', 'mean', 'max'] as const) {
    test(`${op} over single, adjacent, scattered and all dims, with keepdim`, async () => {
      for (const dims of dimSets) {
        for (const keepdim of [false, true]) {
          await gradcheck(`${op} dims ${dims} keepdim ${keepdim}`, (b) => {
            const x = leaf(b, op === 'max' ? distinct(shape, 7) : normal(shape, 7), shape);
            return { leaves: [x], forward: () => F[op](x, dims as number[] | undefined, keepdim) };
          });
        }
      }
    });
  }

  test('max splits the gradient evenly among tied maxima, like torch.amax', async () => {
    for (const b of await bothBackends()) {
      const x = leaf(b, [1, 3, 3, 2], [4]);
      F.sum(F.max(x)).backward();
      expect(Array.from(await x.grad!.data())).toEqual([0, 0.5, 0.5, 0]);
    }
  });
});

describe('matmul and linear', () => {
  test('2-D matmul in all four transpose forms', async () => {
    const [M, K, N] = [3, 5, 4];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        await gradcheck(`matmul transA=${transA} transB=${transB}`, (b) => {
          const sa = transA ? [K, M] : [M, K];
          const sb = transB ? [N, K] : [K, N];
          const a = leaf(b, normal(sa, 8), sa);
          const w = leaf(b, normal(sb, 9), sb);
          return { leaves: [a, w], forward: () => F.matmul(a, w, { transA, transB }) };
        });
      }
    }
  });

  test('batched matmul: 3-D x 3-D, 3-D x shared 2-D, shared 2-D x 3-D', async () => {
    const shapes: [number[], number[]][] = [
      [
        [2, 3, 4],
        [2, 4, 5],
      ],
      [
        [2, 3, 4],
        [4, 5],
      ],
      [
        [3, 4],
        [2, 4, 5],
      ],
    ];
    for (const [sa, sb] of shapes) {
      await gradcheck(`matmul [${sa}] x [${sb}]`, (b) => {
        const a = leaf(b, normal(sa, 10), sa);
        const w = leaf(b, normal(sb, 11), sb);
        return { leaves: [a, w], forward: () => F.matmul(a, w) };
      });
    }
  });

  test('linear with and without bias', async () => {
    for (const bias of [true, false]) {
      await gradcheck(`linear bias=${bias}`, (b) => {
        const x = leaf(b, normal([5, 7], 12), [5, 7]);
        const w = leaf(b, normal([3, 7], 13), [3, 7]);
        const bb = leaf(b, normal([3], 14), [3]);
        return { leaves: bias ? [x, w, bb] : [x, w], forward: () => F.linear(x, w, bias ? bb : undefined) };
      });
    }
  });
});

describe('softmax family and losses', () => {
  const labels = (b: Backend, ys: number[]) => ops.tensor(b, Int32Array.from(ys));

  test('logSoftmax and softmax', async () => {
    for (const [name, fn] of [
      ['logSoftmax', F.logSoftmax],
      ['softmax', F.softmax],
    ] as const) {
      await gradcheck(name, (b) => {
        const x = leaf(b, normal([4, 6], 15, 2), [4, 6]);
        return { leaves: [x], forward: () => fn(x) };
      });
    }
  });

  test('crossEntropy: mean, sum, label smoothing', async () => {
    for (const opts of [
      {},
      { reduction: 'sum' as const },
      { labelSmoothing: 0.1 },
      { labelSmoothing: 0.2, reduction: 'sum' as const },
    ]) {
      await gradcheck(`crossEntropy ${JSON.stringify(opts)}`, (b) => {
        const x = leaf(b, normal([5, 7], 16, 2), [5, 7]);
        const y = labels(b, [0, 6, 3, 3, 1]);
        return { leaves: [x], forward: () => F.crossEntropy(x, y, opts) };
      });
    }
  });

  test('crossEntropy with smoothing equals torch.nn.functional.cross_entropy', async () => {
    // torch.nn.functional.cross_entropy(torch.tensor([[1., 2., 0.5], [0., -1., 3.]]), torch.tensor([2, 0]),
    //   label_smoothing=0.1) = 2.4484594 (torch 1.13)
    for (const b of await bothBackends()) {
      const [v] = await readAll(
        F.crossEntropy(ops.tensor(b, [1, 2, 0.5, 0, -1, 3], [2, 3]), labels(b, [2, 0]), {
          labelSmoothing: 0.1,
        }),
      );
      expect(v[0]).toBeCloseTo(2.4484594, 5);
    }
  });

  test('nllLoss of logSoftmax equals crossEntropy, and its gradient checks', async () => {
    for (const opts of [{}, { reduction: 'sum' as const }]) {
      await gradcheck(`nllLoss ${JSON.stringify(opts)}`, (b) => {
        const x = leaf(b, normal([5, 4], 17), [5, 4]);
        const y = labels(b, [3, 0, 1, 1, 2]);
        return { leaves: [x], forward: () => F.nllLoss(F.logSoftmax(x), y, opts) };
      });
    }
    for (const b of await bothBackends()) {
      const x = ops.tensor(b, normal([5, 4], 17), [5, 4]);
      const y = labels(b, [3, 0, 1, 1, 2]);
      const [nll, ce] = await readAll([F.nllLoss(F.logSoftmax(x), y), F.crossEntropy(x, y)]);
      expect(nll[0]).toBeCloseTo(ce[0], 5);
    }
  });

  test('mseLoss, mean and sum', async () => {
    for (const opts of [{}, { reduction: 'sum' as const }]) {
      await gradcheck(`mseLoss ${JSON.stringify(opts)}`, (b) => {
        const x = leaf(b, normal([4, 3], 18), [4, 3]);
        const t = leaf(b, normal([4, 3], 19), [4, 3]);
        return { leaves: [x, t], forward: () => F.mseLoss(x, t, opts) };
      });
    }
  });
});

describe('convolution, pooling, dropout', () => {
  test('conv2d: stride 2, padding 1, odd sizes, with and without bias', async () => {
    const geometries = [
      { stride: 2, padding: 1, k: 3 },
      { stride: 1, padding: 0, k: 2 },
      { stride: 1, padding: 2, k: 3 },
    ];
    for (const { stride, padding, k } of geometries) {
      for (const bias of [true, false]) {
        await gradcheck(`conv2d k${k} s${stride} p${padding} bias=${bias}`, (b) => {
          const x = leaf(b, normal([2, 3, 5, 7], 20), [2, 3, 5, 7]);
          const w = leaf(b, normal([4, 3, k, k], 21, 0.5), [4, 3, k, k]);
          const bb = leaf(b, normal([4], 22), [4]);
          return {
            leaves: bias ? [x, w, bb] : [x, w],
            forward: () => F.conv2d(x, w, bias ? bb : undefined, { stride, padding }),
          };
        });
      }
    }
  });

  test('maxPool2d and avgPool2d: default stride, stride 2 with padding 1, overlapping windows', async () => {
    const cases = [
      { k: 2, opts: {} },
      { k: 3, opts: { stride: 2, padding: 1 } },
      { k: 3, opts: { stride: 1 } },
    ];
    for (const { k, opts } of cases) {
      await gradcheck(`maxPool2d k${k} ${JSON.stringify(opts)}`, (b) => {
        const x = leaf(b, distinct([2, 2, 5, 7], 23), [2, 2, 5, 7]);
        return { leaves: [x], forward: () => F.maxPool2d(x, k, opts) };
      });
      await gradcheck(`avgPool2d k${k} ${JSON.stringify(opts)}`, (b) => {
        const x = leaf(b, normal([2, 2, 5, 7], 24), [2, 2, 5, 7]);
        return { leaves: [x], forward: () => F.avgPool2d(x, k, opts) };
      });
    }
  });

  test('dropout with a fixed seed', async () => {
    await gradcheck('dropout', (b) => {
      const x = leaf(b, normal([6, 11], 25), [6, 11]);
      return { leaves: [x], forward: () => F.dropout(x, 0.4, 77) };
    });
  });

  test('a small network end to end: conv, tanh, avg pool, linear, cross-entropy', async () => {
    await gradcheck('network', (b) => {
      const x = leaf(b, normal([2, 1, 6, 6], 26), [2, 1, 6, 6]);
      const cw = leaf(b, normal([3, 1, 3, 3], 27, 0.5), [3, 1, 3, 3]);
      const lw = leaf(b, normal([4, 27], 28, 0.3), [4, 27]);
      const y = ops.tensor(b, new Int32Array([1, 3]));
      return {
        leaves: [x, cw, lw],
        forward: () =>
          F.crossEntropy(
            F.linear(
              F.flatten(F.avgPool2d(F.tanh(F.conv2d(x, cw, undefined, { padding: 1 })), 2, { stride: 2 })),
              lw,
            ),
            y,
          ),
      };
    });
  });
});

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

  for (const [kind, shape] of [
    ['1d', [6, 3]],
    ['2d', [3, 2, 3, 5]],
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

  test('training on one value per channel is an error, as in PyTorch', () => {
    const bn = new BatchNorm1d(3);
    expect(() => bn.forward(ops.full(getDefaultBackend(), [1, 3], 0))).toThrow(
      /more than 1 value per channel/,
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
