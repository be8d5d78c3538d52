/**
 * Gradient checks: every differentiable op in F against central finite differences on the cpu
 * backend (float32, so eps = 1e-2 and a tolerance to match), and the webgpu backend's gradients
 * against the cpu backend's. Inputs avoid kinks (relu at 0, ties in max) so differences are valid.
 */
import { describe, expect, test } from 'vitest';
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { bothBackends, readAll } from '../tensor/testing';
import { F } from './index';
import { distinct, gradcheck, leaf, normal, offKink, positive } from './testing';

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

  test('linear over the last dim of [2, 3, 7] and of [7], fused with relu or not', async () => {
    for (const shape of [[2, 3, 7], [7]]) {
      for (const relu of [false, true]) {
        // Seeds that keep every pre-activation over 0.3 from relu's kink.
        await gradcheck(`linear [${shape}] relu=${relu}`, (b) => {
          const x = leaf(b, normal(shape, 22), shape);
          const w = leaf(b, normal([4, 7], 23), [4, 7]);
          const bb = leaf(b, normal([4], 24), [4]);
          return { leaves: [x, w, bb], forward: () => F.linear(x, w, bb, { relu }) };
        });
      }
    }
    for (const b of await bothBackends()) {
      const x = ops.tensor(b, normal([2, 3, 7], 18), [2, 3, 7]);
      const w = ops.tensor(b, normal([4, 7], 19), [4, 7]);
      const y = F.linear(x, w);
      expect(y.shape).toEqual([2, 3, 4]);
      const [flat, lead] = await readAll([F.linear(x.alias([6, 7]), w), y]);
      expect(Array.from(lead)).toEqual(Array.from(flat));
      expect(() => F.linear(ops.full(b, [2, 3, 5], 0), w)).toThrow(
        /linear: input \[2,3,5\] has 5 features but the weight expects 7/,
      );
    }
  });

  test('linear fused with relu, with and without bias', async () => {
    for (const bias of [true, false]) {
      await gradcheck(`linearRelu bias=${bias}`, (b) => {
        const x = leaf(b, normal([5, 7], 15), [5, 7]);
        const w = leaf(b, normal([3, 7], 16), [3, 7]);
        const bb = leaf(b, normal([3], 17), [3]);
        return {
          leaves: bias ? [x, w, bb] : [x, w],
          forward: () => F.linearRelu(x, w, bias ? bb : undefined),
        };
      });
    }
  });
});

describe('layer norm', () => {
  test('layerNorm over the last dim: with weight and bias, weight alone, neither', async () => {
    for (const [shape, weight, bias] of [
      [[3, 2, 7], true, true],
      [[4, 5], true, false],
      [[2, 33], false, false],
    ] as const) {
      const C = shape[shape.length - 1];
      await gradcheck(
        `layerNorm [${shape}] weight=${weight} bias=${bias}`,
        (b) => {
          const x = leaf(b, normal([...shape], 30, 2), [...shape]);
          const w = leaf(b, positive([C], 31), [C]);
          const bb = leaf(b, normal([C], 32), [C]);
          const leaves = [x, ...(weight ? [w] : []), ...(bias ? [bb] : [])];
          return {
            leaves,
            forward: () => F.layerNorm(x, C, weight ? w : undefined, bias ? bb : undefined),
          };
        },
        { rtol: 3e-2, atol: 5e-3 },
        { rtol: 1e-3, atol: 1e-4 },
      );
    }
  });
});

describe('embedding', () => {
  test('embedding with repeated indices, then a nonlinearity', async () => {
    await gradcheck('embedding', (b) => {
      const w = leaf(b, normal([5, 4], 33), [5, 4]);
      const indices = ops.tensor(b, new Int32Array([4, 0, 4, 2, 4, 0]), [2, 3], 'int32');
      return { leaves: [w], forward: () => F.tanh(F.embedding(indices, w)) };
    });
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

  test('crossEntropy of [B, T, C] logits averages over every position, as over view(-1, C)', async () => {
    for (const opts of [{}, { reduction: 'sum' as const }, { labelSmoothing: 0.1 }]) {
      await gradcheck(`crossEntropy [2, 3, 5] ${JSON.stringify(opts)}`, (b) => {
        const x = leaf(b, normal([2, 3, 5], 26, 2), [2, 3, 5]);
        const y = ops.tensor(b, new Int32Array([0, 4, 2, 2, 1, 3]), [2, 3], 'int32');
        return { leaves: [x], forward: () => F.crossEntropy(x, y, opts) };
      });
    }
    for (const b of await bothBackends()) {
      const x = ops.tensor(b, normal([2, 3, 5], 26, 2), [2, 3, 5]);
      const ys = [0, 4, 2, 2, 1, 3];
      const [seq, flat] = await readAll([
        F.crossEntropy(x, ops.tensor(b, Int32Array.from(ys), [2, 3], 'int32')),
        F.crossEntropy(x.alias([6, 5]), labels(b, ys)),
      ]);
      expect(seq[0]).toBe(flat[0]);
      expect(() => F.crossEntropy(x, labels(b, ys))).toThrow(
        /cross-entropy of logits \[2,3,5\] expects int32 labels \[2,3\], got int32 \[6\]/,
      );
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

describe('attention', () => {
  test('causalSoftmax, scaled, on awkward sizes', async () => {
    for (const shape of [
      [1, 1],
      [2, 5, 5],
      [13, 13],
    ]) {
      await gradcheck(`causalSoftmax [${shape}]`, (b) => {
        const x = leaf(b, normal(shape, 50, 2), shape);
        return { leaves: [x], forward: () => F.causalSoftmax(x, 0.6) };
      });
    }
  });

  test('asStrided: heads read out of a fused projection, one of three', async () => {
    const [B, T, H, hs] = [2, 3, 2, 3];
    const C = H * hs;
    await gradcheck('asStrided', (b) => {
      const x = leaf(b, normal([B * T, 3 * C], 51), [B * T, 3 * C]);
      return { leaves: [x], forward: () => F.asStrided(x, [B, H, T, hs], [T * 3 * C, hs, 3 * C, 1], C) };
    });
  });

  for (const opts of [{ isCausal: true }, {}, { isCausal: true, dropoutP: 0.3, seed: 7 }]) {
    test(`scaledDotProductAttention ${JSON.stringify(opts)}`, async () => {
      const [q, k, v] = [
        [2, 3, 5, 3],
        [2, 3, 5, 3],
        [2, 3, 5, 4],
      ];
      await gradcheck(`sdpa ${JSON.stringify(opts)}`, (b) => {
        const leaves = [q, k, v].map((s, i) => leaf(b, normal(s, 52 + i), s));
        return {
          leaves,
          forward: () => F.scaledDotProductAttention(leaves[0], leaves[1], leaves[2], opts),
        };
      });
    });
  }
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

  test('conv2d with its ReLU fused, and a stride of 3 that leaves inputs no window reaches', async () => {
    for (const { stride, padding, k } of [
      { stride: 1, padding: 1, k: 3 },
      { stride: 3, padding: 1, k: 2 },
    ]) {
      await gradcheck(`conv2d+relu k${k} s${stride} p${padding}`, (b) => {
        const x = leaf(b, normal([2, 3, 5, 7], 26), [2, 3, 5, 7]);
        // Small weights and biases of +-3 keep every pre-activation far from relu's kink: the
        // channels of positive bias pass their gradient, the others are cut.
        const w = leaf(b, normal([5, 3, k, k], 27, 0.1), [5, 3, k, k]);
        const bb = leaf(b, [3, -3, 3, 3, -3], [5]);
        return { leaves: [x, w, bb], forward: () => F.conv2d(x, w, bb, { stride, padding, relu: true }) };
      });
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
