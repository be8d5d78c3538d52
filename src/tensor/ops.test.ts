/**
 * Every raw op and kernel: the webgpu backend must match the cpu reference on seeded random inputs
 * of awkward sizes (1, odd, not multiples of the kernels' 16/64/256 tiles), and both must give the
 * known values where there are some.
 */
import { describe, expect, test } from 'vitest';
import { MATMUL_VARIANTS, type MatmulVariantName } from './autotune';
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import { BINARY, type BinaryOp, type ReduceOp, UNARY, type UnaryOp } from './kernels';
import * as ops from './ops';
import { type Tensor, tidy } from './tensor';
import {
  assertClose,
  bothBackends,
  compareBackends,
  randn,
  randnValues,
  readAll,
  webgpuBackend,
} from './testing';

/** A seeded tensor of positive values in [lo, lo + 2), for log/sqrt/pow/div. */
function positive(b: Backend, shape: number[], seed: number, lo = 0.5): Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  return ops.tensor(
    b,
    randnValues(n, seed).map((v) => lo + (Math.abs(v) % 2)),
    shape,
  );
}

/** Host values of `x` with each element rounded to one decimal, so that some compare equal. */
function coarse(b: Backend, shape: number[], seed: number): Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  return ops.tensor(
    b,
    randnValues(n, seed).map((v) => Math.round(v * 2) / 2),
    shape,
  );
}

describe('assertClose', () => {
  test('never lets NaN pass, even against NaN', () => {
    expect(() => assertClose([Number.NaN], [Number.NaN])).toThrow(/NaN/);
    expect(() => assertClose([1], [Number.NaN])).toThrow(/NaN/);
    expect(() => assertClose([Number.NaN], [1])).toThrow(/NaN/);
    expect(() => assertClose([1, 2], [1, 2.1])).toThrow(/\[1\]/);
    expect(() => assertClose([Number.POSITIVE_INFINITY], [Number.POSITIVE_INFINITY])).not.toThrow();
  });
});

describe('fill, tensor, clone', () => {
  test.each([1, 7, 256, 257, 1000])('fill of %i elements', async (n) => {
    const [v] = await compareBackends((b) => ops.full(b, [n], -2.5));
    expect(Array.from(v)).toEqual(new Array(n).fill(-2.5));
  });

  test('clone keeps values and dtype', async () => {
    const [f, i] = await compareBackends((b) => [
      ops.clone(randn(b, [3, 5], 1)),
      ops.clone(ops.tensor(b, new Int32Array([4, -7, 9]))),
    ]);
    assertClose(f, randnValues(15, 1), 0, 0);
    expect(Array.from(i)).toEqual([4, -7, 9]);
  });
});

describe('unary', () => {
  const shapes = [[1], [7], [257], [3, 5, 67]];
  const cases: [UnaryOp, number, number, 'any' | 'positive'][] = [
    ['copy', 0, 0, 'any'],
    ['neg', 0, 0, 'any'],
    ['exp', 0, 0, 'any'],
    ['log', 0, 0, 'positive'],
    ['sqrt', 0, 0, 'positive'],
    ['relu', 0, 0, 'any'],
    ['leakyRelu', 0.1, 0, 'any'],
    ['tanh', 0, 0, 'any'],
    ['sigmoid', 0, 0, 'any'],
    ['gelu', 0, 0, 'any'],
    ['pow', 2, 0, 'any'],
    ['pow', 3, 0, 'any'],
    ['pow', -1, 0, 'positive'],
    ['pow', 0.5, 0, 'positive'],
    ['pow', 1.7, 0, 'positive'],
    ['affine', -1.5, 0.25, 'any'],
    ['abs', 0, 0, 'any'],
    ['sign', 0, 0, 'any'],
    ['clamp', -0.5, 0.75, 'any'],
  ];
  for (const [op, alpha, beta, domain] of cases) {
    test(`${op}(${alpha}, ${beta}) matches cpu`, async () => {
      for (const [i, shape] of shapes.entries()) {
        await compareBackends(
          (b) =>
            ops.unary(
              op,
              domain === 'positive' ? positive(b, shape, 10 + i) : randn(b, shape, 10 + i, 2),
              alpha,
              beta,
            ),
          1e-5,
          1e-6,
          `${op} [${shape}]`,
        );
      }
    });
  }

  test('every unary code is tested', () => {
    const tested = new Set<string>([...cases.map((c) => c[0]), 'intToFloat', 'dropout']);
    expect(Object.keys(UNARY).filter((k) => !tested.has(k))).toEqual([]);
  });

  test('known values', async () => {
    const x = [-2, -0.5, 0, 0.5, 3];
    const [neg, relu, leaky, abs, sign, clamp, sq, cube] = await compareBackends((b) => {
      const t = ops.tensor(b, x);
      return [
        ops.unary('neg', t),
        ops.unary('relu', t),
        ops.unary('leakyRelu', t, 0.1),
        ops.unary('abs', t),
        ops.unary('sign', t),
        ops.unary('clamp', t, -1, 1),
        ops.unary('pow', t, 2),
        ops.unary('pow', t, 3),
      ];
    });
    expect(Array.from(neg)).toEqual([2, 0.5, -0, -0.5, -3]);
    expect(Array.from(relu)).toEqual([0, 0, 0, 0.5, 3]);
    assertClose(leaky, [-0.2, -0.05, 0, 0.5, 3]);
    expect(Array.from(abs)).toEqual([2, 0.5, 0, 0.5, 3]);
    expect(Array.from(sign)).toEqual([-1, -1, 0, 1, 1]);
    expect(Array.from(clamp)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(Array.from(sq)).toEqual([4, 0.25, 0, 0.25, 9]);
    expect(Array.from(cube)).toEqual([-8, -0.125, 0, 0.125, 27]);
    // GELU(x) = x * Phi(x); PyTorch: gelu(1) = 0.8413447, gelu(-1) = -0.1586553.
    const [g] = await compareBackends((b) => ops.unary('gelu', ops.tensor(b, [1, -1, 0])));
    assertClose(g, [0.8413447, -0.1586553, 0], 1e-5, 1e-6);
  });

  test('pow of a negative base: integer exponents are real, fractional ones NaN (on both backends)', async () => {
    for (const b of await bothBackends()) {
      const [v] = await readAll(ops.unary('pow', ops.tensor(b, [-2, -2]), 0.5));
      expect(Number.isNaN(v[0])).toBe(true);
    }
  });

  test('tanh and sigmoid saturate without NaN at large |x|', async () => {
    const [t, s] = await compareBackends(
      (b) => {
        const x = ops.tensor(b, [-100, -30, 30, 100]);
        return [ops.unary('tanh', x), ops.unary('sigmoid', x)];
      },
      1e-6,
      1e-7,
    );
    expect(Array.from(t)).toEqual([-1, -1, 1, 1]);
    assertClose(s, [0, 9.357623e-14, 1, 1], 1e-5, 1e-20);
  });

  test('intToFloat converts int32 to float32', async () => {
    const [v] = await compareBackends((b) =>
      ops.unary('intToFloat', ops.tensor(b, new Int32Array([0, -3, 7, 123456]))),
    );
    expect(Array.from(v)).toEqual([0, -3, 7, 123456]);
  });

  test('dropout: the mask depends only on the seed, and the webgpu mask equals the cpu mask', async () => {
    const n = 4099;
    const ones = (b: Backend) => ops.full(b, [n], 1);
    const [a, again, other] = await compareBackends(
      (b) => [
        ops.dropoutMask(ones(b), 0.3, 1234),
        ops.dropoutMask(ones(b), 0.3, 1234),
        ops.dropoutMask(ones(b), 0.3, 99),
      ],
      0,
      0,
    );
    expect(Array.from(again)).toEqual(Array.from(a));
    expect(Array.from(other)).not.toEqual(Array.from(a));
    const kept = a.filter((v) => v !== 0);
    // Kept elements are scaled by 1 / (1 - p), the rest are zero.
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.7, 6);
    expect(kept.length / n).toBeGreaterThan(0.67);
    expect(kept.length / n).toBeLessThan(0.73);
  });

  test('dropout compares against p rounded to float32, as the GPU does', async () => {
    // With seed 11900, element 36 draws u = 11744051 / 2^24 = fround(0.7) exactly, just below 0.7:
    // the GPU (which only sees float32 p) keeps it, so the cpu reference must too.
    const [v] = await compareBackends((b) => ops.dropoutMask(ops.full(b, [37], 1), 0.7, 11900), 0, 0);
    expect(v[36]).toBeCloseTo(1 / 0.3, 5);
  });

  test('dropout with p = 0 is the identity', async () => {
    const [v] = await compareBackends((b) => ops.dropoutMask(randn(b, [33], 3), 0, 5), 0, 0);
    assertClose(v, randnValues(33, 3), 0, 0);
  });
});

describe('binary', () => {
  const pairs: [number[], number[]][] = [
    [[1], [1]],
    [[257], [257]],
    [
      [3, 1],
      [1, 4],
    ],
    [[5, 7], []],
    [[], [5, 7]],
    [[1], [6, 3]],
    [[2, 3, 67], [67]],
    [
      [2, 1, 5],
      [3, 1],
    ],
    [
      [4, 1, 1, 3],
      [1, 5, 2, 1],
    ],
  ];
  const all = Object.keys(BINARY) as BinaryOp[];
  for (const op of all) {
    test(`${op} with broadcasting matches cpu`, async () => {
      for (const [i, [sa, sb]] of pairs.entries()) {
        await compareBackends(
          (b) => {
            // Coarse values make eq/gt see ties; division and pow need safe operands.
            const a = op === 'pow' ? positive(b, sa, i) : coarse(b, sa, i);
            const c =
              op === 'div'
                ? positive(b, sb, 50 + i)
                : op === 'pow'
                  ? randn(b, sb, 50 + i)
                  : coarse(b, sb, 50 + i);
            const out = ops.binary(op, a, c, 0.2);
            expect(out.shape).toEqual(ops.broadcastShapes(sa, sb));
            return out;
          },
          1e-5,
          1e-6,
          `${op} [${sa}] x [${sb}]`,
        );
      }
    });
  }

  test('[3,1] x [1,4] gives the outer sum', async () => {
    const [v] = await compareBackends((b) =>
      ops.binary('add', ops.tensor(b, [0, 10, 20], [3, 1]), ops.tensor(b, [1, 2, 3, 4], [1, 4])),
    );
    expect(Array.from(v)).toEqual([1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
  });

  test('maximum and minimum propagate NaN like torch', async () => {
    for (const b of await bothBackends()) {
      const nan = ops.unary('log', ops.tensor(b, [-1, 2]));
      const five = ops.tensor(b, [5, 1]);
      // NaN on either side, as clipGradNorm_'s inf-norm combines with maximum.
      const [mx, mn, mx2, mn2] = await readAll([
        ops.binary('maximum', nan, five),
        ops.binary('minimum', nan, five),
        ops.binary('maximum', five, nan),
        ops.binary('minimum', five, nan),
      ]);
      expect([b.name, Number.isNaN(mx2[0]), Number.isNaN(mn2[0])]).toEqual([b.name, true, true]);
      expect([b.name, Number.isNaN(mx[0]), Number.isNaN(mn[0])]).toEqual([b.name, true, true]);
      expect([mx[1], mn[1]]).toEqual([1, Math.fround(Math.log(2))]);
    }
  });

  test('incompatible shapes are an error naming both', async () => {
    const [cpu] = await bothBackends();
    expect(() => ops.binary('add', ops.full(cpu, [3, 2], 0), ops.full(cpu, [4], 0))).toThrow(
      /\[3,2\] and \[4\]/,
    );
  });
});

describe('permute and broadcastTo', () => {
  test('permute of a 4-D tensor matches a host transpose', async () => {
    const shape = [2, 3, 4, 5];
    const dims = [3, 1, 0, 2];
    const [v] = await compareBackends((b) => ops.permute(randn(b, shape, 7), dims), 0, 0);
    const x = randnValues(120, 7);
    const outShape = dims.map((d) => shape[d]);
    const strides = ops.contiguousStrides(shape);
    const want = Array.from({ length: 120 }, (_, i) => {
      let rem = i;
      let src = 0;
      for (let d = 3; d >= 0; d--) {
        src += (rem % outShape[d]) * strides[dims[d]];
        rem = Math.floor(rem / outShape[d]);
      }
      return x[src];
    });
    assertClose(v, want, 0, 0);
  });

  test('permute of awkward sizes, and rejection of bad dims', async () => {
    await compareBackends(
      (b) => [ops.permute(randn(b, [67, 1, 33], 8), [2, 0, 1]), ops.permute(randn(b, [1], 9), [0])],
      0,
      0,
    );
    const [cpu] = await bothBackends();
    expect(() => ops.permute(ops.full(cpu, [2, 3], 0), [0, 0])).toThrow(/permute/);
  });

  test('broadcastTo expands [3,1] to [2,3,4] and scalars to any shape', async () => {
    const [v, s] = await compareBackends(
      (b) => [
        ops.broadcastTo(ops.tensor(b, [1, 2, 3], [3, 1]), [2, 3, 4]),
        ops.broadcastTo(ops.tensor(b, [5], []), [3, 3]),
      ],
      0,
      0,
    );
    expect(Array.from(v)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(Array.from(s)).toEqual(new Array(9).fill(5));
  });
});

describe('reduce', () => {
  const shape = [3, 5, 7, 2];
  const dimSets: (number[] | undefined)[] = [
    [0],
    [1],
    [3],
    [1, 2],
    [0, 1],
    [2, 3],
    [0, 2],
    [0, 3],
    [1, 3],
    [0, 1, 2, 3],
    undefined,
    [-1],
  ];
  const reduceOps: ReduceOp[] = ['sum', 'max', 'argmax', 'sumSquares'];
  for (const op of reduceOps) {
    test(`${op} over single, adjacent, scattered and all dims, with keepdim`, async () => {
      for (const dims of dimSets) {
        if (op === 'argmax' && dims && dims.length > 1) continue;
        for (const keepdim of [false, true]) {
          const [v] = await compareBackends(
            (b) => {
              const x = op === 'argmax' ? coarse(b, shape, 3) : randn(b, shape, 3);
              const out = ops.reduce(op, x, dims, keepdim, 0.5);
              const d = ops.normDims(dims, 4);
              expect(out.shape).toEqual(
                shape.flatMap((s, i) => (d.includes(i) ? (keepdim ? [1] : []) : [s])),
              );
              return out;
            },
            1e-5,
            1e-5,
            `${op} dims ${dims} keepdim ${keepdim}`,
          );
          expect(v.length).toBe(
            shape.reduce((a, b) => a * b, 1) / ops.normDims(dims, 4).reduce((a, i) => a * shape[i], 1),
          );
        }
      }
    });
  }

  test.each([
    [[1], 0],
    [[1000], 0],
    [[3, 1000], 1],
    [[1000, 3], 0],
    [[2, 257, 3], 1],
    [[5, 300], 1],
    [[300, 5], 0],
  ])('long rows and columns: %j over dim %i', async (s, dim) => {
    for (const op of reduceOps) {
      await compareBackends(
        (b) => ops.reduce(op, op === 'argmax' ? coarse(b, s, 4) : randn(b, s, 4), dim),
        1e-4,
        1e-4,
        `${op} [${s}]`,
      );
    }
  });

  test('known values: sum of 1..10, mean, max, sum of squares', async () => {
    const [s, m, mx, sq] = await compareBackends((b) => {
      const x = ops.tensor(
        b,
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
      return [
        ops.reduce('sum', x),
        ops.reduce('sum', x, 0, false, 0.1),
        ops.reduce('max', x),
        ops.reduce('sumSquares', x),
      ];
    });
    expect(s[0]).toBe(55);
    expect(m[0]).toBeCloseTo(5.5, 5);
    expect(mx[0]).toBe(10);
    expect(sq[0]).toBe(385);
  });

  test('argmax picks the first index among ties, in rows and in columns', async () => {
    const [rows, cols] = await compareBackends(
      (b) => {
        const x = ops.tensor(b, [1, 3, 3, 0, 7, 7, 7, 7, -1, -1, -2, -1], [3, 4]);
        return [ops.reduce('argmax', x, 1), ops.reduce('argmax', x, 0)];
      },
      0,
      0,
    );
    expect(Array.from(rows)).toEqual([1, 0, 0]);
    expect(Array.from(cols)).toEqual([1, 1, 1, 1]);
    // A long row of equal values: every workgroup lane sees a tie; the first index must win.
    const [long] = await compareBackends((b) => ops.reduce('argmax', ops.full(b, [2, 1000], 4), 1), 0, 0);
    expect(Array.from(long)).toEqual([0, 0]);
  });

  test('max and argmax propagate NaN like torch (rows, columns, pooling)', async () => {
    for (const b of await bothBackends()) {
      const x = ops.tensor(b, [1, 5, 2, 7, 3, 4, 8, 0, 1, 2, 3, 4], [3, 4]);
      // log(-1) makes a NaN at run time at [0, 2] and [2, 1].
      const withNan = ops.binary(
        'add',
        x,
        ops.unary('log', ops.tensor(b, [1, 1, -1, 1, 1, 1, 1, 1, 1, -1, 1, 1], [3, 4])),
      );
      const [mr, ar, mc, ac, mp, ip] = await readAll([
        ops.reduce('max', withNan, 1),
        ops.reduce('argmax', withNan, 1),
        ops.reduce('max', withNan, 0),
        ops.reduce('argmax', withNan, 0),
        ...Object.values(
          ops.maxPool2d(withNan.alias([1, 1, 3, 4]), { kernelSize: 2, stride: 2, padding: 0 }),
        ),
      ]);
      expect([b.name, Array.from(mr, Number.isNaN)]).toEqual([b.name, [true, false, true]]);
      expect([b.name, Array.from(ar)]).toEqual([b.name, [2, 2, 1]]);
      expect([b.name, Array.from(mc, Number.isNaN)]).toEqual([b.name, [false, true, true, false]]);
      expect([b.name, Array.from(ac)]).toEqual([b.name, [1, 2, 0, 0]]);
      expect([b.name, Array.from(mp, Number.isNaN)]).toEqual([b.name, [false, true]]);
      expect([b.name, Array.from(ip)]).toEqual([b.name, [1, 2]]);
    }
  });

  test('argmax of -Infinity and max of all-negative rows', async () => {
    const [am, mx] = await compareBackends(
      (b) => {
        const x = ops.tensor(b, [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e38, -3e38], [2, 2]);
        return [ops.reduce('argmax', x, 1), ops.reduce('max', x, 1)];
      },
      0,
      0,
    );
    expect(Array.from(am)).toEqual([0, 0]);
    expect(mx[0]).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('matmul', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [7, 13, 5],
    [65, 130, 67],
    [64, 784, 128],
    [130, 257, 3],
    [3, 2, 70],
  ];

  /** Runs fn with each matmul variant forced on the webgpu backend (the cpu side has one kernel). */
  const eachVariant = async (fn: (variant: MatmulVariantName) => Promise<void>) => {
    const gpu = await webgpuBackend();
    try {
      const names = Object.keys(MATMUL_VARIANTS) as MatmulVariantName[];
      // The conv variants are the convolutions' (tested with them below).
      for (const variant of names.filter((v) => MATMUL_VARIANTS[v].kernel !== 'convGemm')) {
        gpu.tuner.force = variant;
        await fn(variant);
      }
    } finally {
      gpu.tuner.force = null;
    }
  };

  /** A stored operand for op(X) of shape [r, c]: stored transposed when trans. */
  const operand = (b: Backend, r: number, c: number, trans: boolean, seed: number, batch?: number) =>
    randn(b, [...(batch ? [batch] : []), ...(trans ? [c, r] : [r, c])], seed);

  for (const [M, K, N] of sizes) {
    test(`${M}x${K}x${N}, all four transpose combinations, every variant`, async () => {
      await eachVariant(async (variant) => {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            await compareBackends(
              (b) => {
                const out = ops.matmul(operand(b, M, K, transA, 1), operand(b, K, N, transB, 2), {
                  transA,
                  transB,
                });
                expect(out.shape).toEqual([M, N]);
                return out;
              },
              1e-4,
              1e-4,
              `matmul ${variant} ${M}x${K}x${N} transA=${transA} transB=${transB}`,
            );
          }
        }
      });
    });
  }

  test('known product, with bias and relu', async () => {
    const [plain, fused] = await compareBackends(
      (b) => {
        const a = ops.tensor(b, [1, 2, 3, 4, 5, 6], [2, 3]);
        const w = ops.tensor(b, [1, 0, -1, 2, 1, 0], [3, 2]);
        return [ops.matmul(a, w), ops.matmul(a, w, { bias: ops.tensor(b, [-10, 0.5]), relu: true })];
      },
      0,
      0,
    );
    expect(Array.from(plain)).toEqual([2, 4, 5, 10]);
    expect(Array.from(fused)).toEqual([0, 4.5, 0, 10.5]);
  });

  test('bias and relu on awkward sizes with every transpose, every variant', async () => {
    // 67 x 19 x 65: past a 64-row and a 64-column tile, k a multiple of no slice, rows and columns
    // of no 8x8 block. Each transpose combination once, two of them with relu: the fused epilogue
    // is the same code whatever the layout, so four products cover every case of every variant.
    const [M, K, N] = [67, 19, 65];
    const cases = [
      [false, false, false],
      [false, true, true],
      [true, false, true],
      [true, true, false],
    ];
    await eachVariant(async (variant) => {
      await compareBackends(
        (b) =>
          cases.map(([transA, transB, relu]) =>
            ops.matmul(operand(b, M, K, transA, 3), operand(b, K, N, transB, 4), {
              transA,
              transB,
              relu,
              bias: randn(b, [N], 5),
            }),
          ),
        1e-4,
        1e-4,
        `${variant} bias and relu (transA, transB, relu in ${JSON.stringify(cases)})`,
      );
    });
  });

  test("row sums of op(A) with the product, every variant: Linear's bias gradient", async () => {
    // 130 rows: more than one 128-row tile; 70 columns: more than one column tile, whose
    // invocations must not write the sums too.
    for (const [M, K, N] of [
      [130, 33, 70],
      [7, 300, 3],
      [1, 5, 9],
    ]) {
      await eachVariant(async (variant) => {
        for (const transA of [false, true]) {
          const [, sums] = await compareBackends(
            (b) => {
              const rowSums = ops.empty(b, [M]);
              const out = ops.matmul(operand(b, M, K, transA, 11), operand(b, K, N, false, 12), {
                transA,
                rowSums,
              });
              return [out, rowSums];
            },
            1e-4,
            1e-4,
            `${variant} row sums ${M}x${K}x${N} transA=${transA}`,
          );
          expect(sums.length).toBe(M);
        }
      });
    }
    // They are the sums: g's column sums when A is g stored [K, M] (transA), as Linear's backward uses it.
    const [cpu] = await bothBackends();
    const g = ops.tensor(cpu, [1, 2, 3, 4, 5, 6], [3, 2]);
    const sums = ops.empty(cpu, [2]);
    ops.matmul(g, ops.full(cpu, [3, 1], 1), { transA: true, rowSums: sums });
    expect(Array.from(await sums.data())).toEqual([9, 12]);
  });

  test('batched 3-D: both batched, shared 2-D right operand, shared 2-D left operand', async () => {
    const [B, M, K, N] = [3, 17, 66, 9];
    await eachVariant(async (variant) => {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const [both, right, left] = await compareBackends(
            (b) => [
              ops.matmul(operand(b, M, K, transA, 6, B), operand(b, K, N, transB, 7, B), { transA, transB }),
              ops.matmul(operand(b, M, K, transA, 6, B), operand(b, K, N, transB, 8), { transA, transB }),
              ops.matmul(operand(b, M, K, transA, 9), operand(b, K, N, transB, 7, B), { transA, transB }),
            ],
            1e-4,
            1e-4,
            `${variant} batched transA=${transA} transB=${transB}`,
          );
          for (const v of [both, right, left]) expect(v.length).toBe(B * M * N);
        }
      }
    });
    // Batch z of a shared-operand product is the 2-D product of batch z.
    const [cpu] = await bothBackends();
    const a = randn(cpu, [B, M, K], 6);
    const w = randn(cpu, [K, N], 8);
    const [whole] = await readAll(ops.matmul(a, w));
    const [second] = await readAll(
      ops.matmul(ops.tensor(cpu, (await a.data()).slice(M * K, 2 * M * K), [M, K]), w),
    );
    assertClose(whole.slice(M * N, 2 * M * N), second, 0, 0);
  });

  test('shape errors', async () => {
    const [cpu] = await bothBackends();
    expect(() => ops.matmul(ops.full(cpu, [2, 3], 0), ops.full(cpu, [4, 2], 0))).toThrow(/do not match/);
    expect(() => ops.matmul(ops.full(cpu, [2, 3, 4], 0), ops.full(cpu, [3, 4, 2], 0))).toThrow(/batch/);
    expect(() =>
      ops.matmul(ops.full(cpu, [2, 3], 0), ops.full(cpu, [3, 2], 0), { bias: ops.full(cpu, [3], 0) }),
    ).toThrow(/bias/);
  });
});

describe('logSoftmax and cross-entropy', () => {
  const shapes = [
    [1, 1],
    [7, 13],
    [5, 300],
    [65, 10],
    [2, 3, 5],
  ];

  test('logSoftmax and its backward match cpu', async () => {
    for (const s of shapes) {
      await compareBackends(
        (b) => {
          const y = ops.logSoftmax(randn(b, s, 11, 3));
          return [y, ops.logSoftmaxBackward(y, randn(b, s, 12))];
        },
        1e-5,
        1e-5,
        `logSoftmax [${s}]`,
      );
    }
  });

  test('logSoftmax rows exponentiate to 1 and are shift-invariant at large logits', async () => {
    const [y] = await compareBackends((b) =>
      ops.logSoftmax(ops.tensor(b, [1000, 1001, 1002, -5, -5, -5], [2, 3])),
    );
    assertClose(
      y,
      [-2.4076059, -1.4076059, -0.4076059, -Math.log(3), -Math.log(3), -Math.log(3)],
      1e-5,
      1e-6,
    );
  });

  const labelsFor = (b: Backend, rows: number, cols: number, seed: number) =>
    ops.tensor(
      b,
      Int32Array.from(randnValues(rows, seed), (v) => Math.floor(Math.abs(v) * 1000) % cols),
    );

  test('cross-entropy and its backward, with and without label smoothing', async () => {
    // 300 rows: more rows than the forward kernel has invocations.
    for (const [rows, cols] of [
      [1, 1],
      [1, 2],
      [7, 13],
      [33, 10],
      [300, 7],
      [4, 300],
    ]) {
      for (const smoothing of [0, 0.1]) {
        await compareBackends(
          (b) => {
            const x = randn(b, [rows, cols], 13, 2);
            const labels = labelsFor(b, rows, cols, 14);
            const g = ops.tensor(b, [0.7], []);
            return [
              ops.crossEntropy(x, labels, smoothing, 1 / rows),
              ops.crossEntropyBackward(x, labels, g, smoothing, 1 / rows),
            ];
          },
          1e-5,
          1e-5,
          `crossEntropy ${rows}x${cols} smoothing ${smoothing}`,
        );
      }
    }
  });

  test('cross-entropy of uniform logits is log(C); its gradient is (1/C - target) * g * scale', async () => {
    const C = 10;
    const [sum, grad] = await compareBackends((b) => {
      const x = ops.full(b, [3, C], 0.3);
      const labels = ops.tensor(b, new Int32Array([0, 4, 9]));
      return [
        ops.crossEntropy(x, labels, 0.2),
        ops.crossEntropyBackward(x, labels, ops.tensor(b, [2], []), 0, 0.5),
      ];
    });
    assertClose(sum, [3 * Math.log(C)], 1e-6);
    const want = Array.from(
      { length: 30 },
      (_, i) => (1 / C - (i === 0 || i === 14 || i === 29 ? 1 : 0)) * 2 * 0.5,
    );
    assertClose(grad, want, 1e-5, 1e-7);
  });

  test('cross-entropy equals -logSoftmax at the label, smoothed as torch does', async () => {
    const [ce, ls] = await compareBackends((b) => {
      const x = randn(b, [4, 6], 15);
      const labels = ops.tensor(b, new Int32Array([5, 0, 2, 2]));
      return [ops.crossEntropy(x, labels, 0.3, 1 / 4), ops.logSoftmax(x)];
    });
    const rows = [5, 0, 2, 2].map((y, r) => {
      const row = Array.from(ls.slice(r * 6, r * 6 + 6));
      return -(0.7 * row[y]) - (0.3 / 6) * row.reduce((a, c) => a + c, 0);
    });
    expect(ce[0]).toBeCloseTo(rows.reduce((a, c) => a + c, 0) / 4, 5);
  });

  test('label shapes are checked', async () => {
    const [cpu] = await bothBackends();
    expect(() => ops.crossEntropy(ops.full(cpu, [3, 4], 0), ops.tensor(cpu, [0, 1, 2]))).toThrow(
      /int32 labels/,
    );
    expect(() => ops.crossEntropy(ops.full(cpu, [3, 4], 0), ops.tensor(cpu, new Int32Array([0, 1])))).toThrow(
      /int32 labels/,
    );
  });
});

describe('causal softmax (attention) and strided copies', () => {
  /** softmax(x * scale) of each row t of each [T, T] block over columns 0..t, zeros after: in double. */
  function causalReference(x: ArrayLike<number>, T: number, scale: number): number[] {
    const out: number[] = [];
    for (let r = 0; r < x.length / T; r++) {
      const row = Array.from({ length: (r % T) + 1 }, (_, j) => x[r * T + j] * scale);
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, c) => a + c, 0);
      for (let j = 0; j < T; j++) out.push(j < row.length ? e[j] / s : 0);
    }
    return out;
  }

  // T = 67 takes a workgroup of 64 per row, the others a thread; 3 heads of rows in each launch.
  for (const T of [1, 5, 13, 67]) {
    test(`T = ${T}: forward and backward match cpu and a masked reference, masked entries exactly 0`, async () => {
      const scale = 0.37;
      const shape = [3, T, T];
      const [x, g] = [randnValues(3 * T * T, 40, 3), randnValues(3 * T * T, 41)];
      const [y, dx] = await compareBackends(
        (b) => {
          const out = ops.causalSoftmax(ops.tensor(b, x, shape), scale);
          return [out, ops.causalSoftmaxBackward(out, ops.tensor(b, g, shape), scale)];
        },
        1e-5,
        1e-6,
        `causalSoftmax [${shape}]`,
      );
      const want = causalReference(x, T, scale);
      assertClose(y, want, 1e-5, 1e-7, 'causalSoftmax vs reference');
      const wantDx = want.map((v, i) => {
        const r = Math.floor(i / T);
        let dot = 0;
        for (let j = 0; j < T; j++) dot += g[r * T + j] * want[r * T + j];
        return scale * v * (g[i] - dot);
      });
      assertClose(dx, wantDx, 1e-4, 1e-6, 'causalSoftmaxBackward vs reference');
      const masked = [...y.keys()].filter((i) => i % T > Math.floor(i / T) % T);
      expect(masked.filter((i) => y[i] !== 0 || dx[i] !== 0)).toEqual([]);
      if (T === 1) expect(Array.from(y)).toEqual([1, 1, 1]);
    });
  }

  test('causalSoftmax is stable at large scores and refuses non-square ones', async () => {
    const [y] = await compareBackends((b) =>
      ops.causalSoftmax(ops.tensor(b, [5e4, 0, 1e5, 1e5 + 1], [2, 2])),
    );
    assertClose(y, [1, 0, 1 / (1 + Math.E), Math.E / (1 + Math.E)], 1e-6, 1e-7);
    const [cpu] = await bothBackends();
    expect(() => ops.causalSoftmax(ops.full(cpu, [2, 3], 0))).toThrow(
      /square scores \[\.\.\., T, T\], got \[2,3\]/,
    );
  });

  test('asStrided reads q, k, v out of a fused [B, T, 3, H, hs] and its backward scatters them back', async () => {
    const [B, T, H, hs] = [2, 5, 3, 2];
    const C = H * hs;
    const strides = [T * 3 * C, hs, 3 * C, 1];
    const x = randnValues(B * T * 3 * C, 42);
    const at = (which: number) => (b: number, h: number, t: number, d: number) =>
      x[((b * T + t) * 3 + which) * C + h * hs + d];
    const results = await compareBackends(
      (b) => {
        const src = ops.tensor(b, x, [B * T, 3 * C]);
        const views = [0, 1, 2].map((i) => ops.asStrided(src, [B, H, T, hs], strides, i * C));
        return [...views, ops.asStridedBackward(views[1], [B * T, 3 * C], strides, C)];
      },
      0,
      0,
    );
    for (const which of [0, 1, 2]) {
      const want: number[] = [];
      for (let b = 0; b < B; b++)
        for (let h = 0; h < H; h++)
          for (let t = 0; t < T; t++) for (let d = 0; d < hs; d++) want.push(at(which)(b, h, t, d));
      assertClose(results[which], want, 0, 0, `view ${which}`);
    }
    // k's gradient: k's elements where they were read, zeros over q's and v's.
    assertClose(
      results[3],
      Array.from(x, (v, i) => (Math.floor(i / C) % 3 === 1 ? v : 0)),
      0,
      0,
    );
  });

  test('asStrided refuses views that read outside the tensor or an element twice', async () => {
    const [cpu] = await bothBackends();
    const x = ops.full(cpu, [4, 6], 0);
    expect(() => ops.asStrided(x, [4, 3], [6, 1], 4)).toThrow(/reads outside it/);
    expect(() => ops.asStrided(x, [3, 4], [2, 1], 0)).toThrow(/reads some elements twice/);
    expect(() => ops.asStrided(x, [2, 3], [0, 1], 0)).toThrow(/reads some elements twice/);
    expect(() => ops.asStrided(x, [2, 3], [12, 1], 3)).not.toThrow();
  });
});

describe('layer norm', () => {
  // Widths 1, odd, under and over the 32 of a thread per row, and over a 64-wide row's workgroup;
  // 300 rows: more than a column's 256-invocation workgroup.
  const shapes = [
    [7, 13],
    [3, 5, 37],
    [4, 1],
    [2, 300],
    [300, 3],
    [1, 33],
  ];
  // Every shape with weight and bias; one without the bias, and one without either.
  const cases = [
    ...shapes.map((s) => [s, { weight: true, bias: true }] as const),
    [[3, 5, 37], { weight: true, bias: false }] as const,
    [[7, 13], { weight: false, bias: false }] as const,
  ];

  test('forward and backward (input, weight, bias) match cpu', async () => {
    for (const [s, a] of cases) {
      const C = s[s.length - 1];
      await compareBackends(
        (b) => {
          const x = randn(b, [...s], 40, 3);
          const weight = a.weight ? randn(b, [C], 41) : undefined;
          const bias = a.bias ? randn(b, [C], 42) : undefined;
          const { out, stats } = ops.layerNorm(x, weight, bias, 1e-5);
          const want = { input: true, weight: a.weight, bias: a.bias };
          const grads = ops.layerNormBackward(randn(b, [...s], 43), x, stats, weight, want);
          return [out, stats, grads.dx, grads.dweight, grads.dbias].filter((t): t is Tensor => t !== null);
        },
        1e-4,
        1e-4,
        `layerNorm [${s}] ${JSON.stringify(a)}`,
      );
    }
  });

  test('normalises each row to mean 0 and variance 1 / (1 + eps / var), as computed by hand', async () => {
    // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25; [5, 5, 5, 5]: variance 0, so xhat = 0.
    const rstd = 1 / Math.sqrt(1.25 + 1e-5);
    const [y, stats] = await compareBackends((b) => {
      const { out, stats } = ops.layerNorm(
        ops.tensor(b, [1, 2, 3, 4, 5, 5, 5, 5], [2, 4]),
        ops.tensor(b, [1, 2, -1, 0.5]),
        ops.tensor(b, [0, 0.5, 1, -2]),
        1e-5,
      );
      return [out, stats];
    });
    const xhat = [-1.5, -0.5, 0.5, 1.5].map((d) => d * rstd);
    assertClose(y, [xhat[0], 2 * xhat[1] + 0.5, -xhat[2] + 1, 0.5 * xhat[3] - 2, 0, 0.5, 1, -2], 1e-5, 1e-6);
    assertClose(stats, [2.5, 5, rstd, 1 / Math.sqrt(1e-5)], 1e-5);
  });

  test('a weight or bias of the wrong size is refused', async () => {
    const [cpu] = await bothBackends();
    expect(() => ops.layerNorm(ops.full(cpu, [2, 3], 1), ops.full(cpu, [4], 1), undefined, 1e-5)).toThrow(
      /layer norm over 3 features got a weight of shape \[4\]/,
    );
  });
});

describe('gather', () => {
  test('gatherRows picks float and int rows by index from an offset', async () => {
    const [f, i] = await compareBackends(
      (b) => {
        const src = randn(b, [9, 3, 5], 16);
        const ints = ops.tensor(
          b,
          Int32Array.from({ length: 18 }, (_, k) => k * 3 - 20),
          [9, 2],
        );
        const index = ops.tensor(b, new Int32Array([8, 0, 3, 3, 7, 1]));
        return [ops.gatherRows(src, index, 1, 4), ops.gatherRows(ints, index, 2, 4)];
      },
      0,
      0,
    );
    const x = randnValues(135, 16);
    assertClose(
      f,
      [0, 3, 3, 7].flatMap((r) => Array.from(x.slice(r * 15, r * 15 + 15))),
      0,
      0,
    );
    expect(Array.from(i)).toEqual([3, 3, 7, 1].flatMap((r) => [r * 6 - 20, r * 6 - 17]));
  });

  test('gatherBatch normalises uint8 pixels and widens label bytes', async () => {
    // Rows of 7 bytes take the per-byte kernels, rows of 12 (whole words) the fused per-word one.
    for (const size of [7, 12]) {
      const pixels = Uint8Array.from({ length: 5 * size }, (_, k) => (k * 37 + 11) % 256);
      const labelBytes = Uint8Array.from([3, 255, 0, 9, 200]);
      const [img, lab] = await compareBackends(
        (b) => {
          const index = ops.tensor(b, new Int32Array([4, 2, 2, 0, 1]));
          const batch = ops.gatherBatch(
            ops.bytes(b, pixels),
            ops.bytes(b, labelBytes),
            index,
            1,
            3,
            [size],
            0.1307,
            0.3081,
          );
          return [...batch];
        },
        1e-6,
        1e-6,
      );
      const want = [2, 2, 0].flatMap((r) =>
        Array.from(pixels.slice(r * size, (r + 1) * size), (p) => (p / 255 - 0.1307) / 0.3081),
      );
      assertClose(img, want, 1e-5, 1e-6);
      expect(Array.from(lab)).toEqual([0, 0, 3]);
    }
  });

  test('gatherBatch of many whole-word rows spreads over workgroups, labels too', async () => {
    const [rows, size] = [300, 28 * 28];
    const pixels = Uint8Array.from({ length: rows * size }, (_, k) => (k * 131 + 7) % 256);
    const labelBytes = Uint8Array.from({ length: rows }, (_, k) => (k * 13) % 10);
    const order = Int32Array.from({ length: rows }, (_, k) => (k * 7) % rows);
    const [, labels] = await compareBackends(
      (b) => [
        ...ops.gatherBatch(
          ops.bytes(b, pixels),
          ops.bytes(b, labelBytes),
          ops.tensor(b, order),
          0,
          rows,
          [1, 28, 28],
          0.5,
          0.25,
        ),
      ],
      1e-6,
      1e-6,
    );
    expect(Array.from(labels)).toEqual(Array.from(order, (k) => labelBytes[k]));
  });

  test('gather of many rows spreads over workgroups', async () => {
    const rows = 300;
    await compareBackends(
      (b) => {
        const src = randn(b, [rows, 257], 17);
        const index = ops.tensor(
          b,
          Int32Array.from({ length: rows }, (_, k) => (k * 7) % rows),
        );
        return ops.gatherRows(src, index, 0, rows);
      },
      0,
      0,
    );
  });
});

describe('embedding', () => {
  /** count seeded indices into [0, rows), drawn from the first `distinct` rows only: heavy repeats. */
  const indicesFor = (b: Backend, shape: number[], rows: number, seed: number, distinct = rows) =>
    ops.tensor(
      b,
      Int32Array.from(
        randnValues(
          shape.reduce((x, y) => x * y, 1),
          seed,
        ),
        (v) => Math.floor(Math.abs(v) * 1000) % Math.min(rows, distinct),
      ),
      shape,
      'int32',
    );

  // Tables of width 1, odd widths, 300 (over a workgroup); 600 positions (over a 256-position
  // chunk), most of them on a few rows; more rows than positions.
  const cases: [number[], number[], number][] = [
    [[7, 13], [3, 5], 7],
    [[65, 1], [2, 37], 3],
    [[65, 300], [600], 4],
    [[300, 3], [3, 5, 7], 300],
  ];

  test('lookup and backward match cpu to the bit', async () => {
    for (const [table, shape, distinct] of cases) {
      const [, , grad] = await compareBackends(
        (b) => {
          const weight = randn(b, table, 60);
          const indices = indicesFor(b, shape, table[0], 61, distinct);
          const out = ops.embedding(weight, indices);
          return [
            out,
            ops.unary('intToFloat', indices),
            ops.embeddingBackward(randn(b, [...out.shape], 62), indices, table[0]),
          ];
        },
        0,
        0,
        `embedding [${table}] by [${shape}]`,
      );
      expect(grad.length).toBe(table[0] * table[1]);
    }
  });

  test('lookup picks rows; backward sums each row over the positions that picked it', async () => {
    const [out, grad] = await compareBackends((b) => {
      const weight = ops.tensor(b, [0, 1, 10, 11, 20, 21], [3, 2]);
      const indices = ops.tensor(b, new Int32Array([2, 0, 2, 2]), [2, 2], 'int32');
      const dy = ops.tensor(b, [1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
      return [ops.embedding(weight, indices), ops.embeddingBackward(dy, indices, 3)];
    });
    expect(Array.from(out)).toEqual([20, 21, 0, 1, 20, 21, 20, 21]);
    expect(Array.from(grad)).toEqual([3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8]);
  });

  test('backward gives the same bits on every run, with heavily repeated indices', async () => {
    const gpu = await webgpuBackend();
    const runs: Float32Array[] = [];
    for (let run = 0; run < 2; run++) {
      // 2000 positions over 5 rows of 37: about 400 additions per element, in an order that a
      // race would change from run to run.
      const [g] = await readAll(
        tidy(() => ops.embeddingBackward(randn(gpu, [2000, 37], 63, 10), indicesFor(gpu, [2000], 5, 64), 5)),
      );
      runs.push(g as Float32Array);
    }
    expect(new Uint32Array(runs[1].buffer)).toEqual(new Uint32Array(runs[0].buffer));
  });

  test('an index out of range throws on cpu and reads as zeros with no gradient on the GPU', async () => {
    const [cpu, gpu] = await bothBackends();
    expect(() =>
      ops.embedding(ops.full(cpu, [4, 2], 1), ops.tensor(cpu, new Int32Array([1, 4]), [2], 'int32')),
    ).toThrow(/index 4 at position 1 is out of range for 4 embeddings/);
    const indices = ops.tensor(gpu, new Int32Array([1, 4, -1]), [3], 'int32');
    const [out, grad] = await readAll([
      ops.embedding(ops.full(gpu, [4, 2], 1), indices),
      ops.embeddingBackward(ops.full(gpu, [3, 2], 1), indices, 4),
    ]);
    expect(Array.from(out)).toEqual([1, 1, 0, 0, 0, 0]);
    expect(Array.from(grad)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
  });

  test('float indices are refused', async () => {
    const [cpu] = await bothBackends();
    expect(() => ops.embedding(ops.full(cpu, [4, 2], 1), ops.full(cpu, [2], 0))).toThrow(/int32 indices/);
  });
});

describe('convolution and pooling kernels', () => {
  const geometries = [
    { kernelSize: 3, stride: 1, padding: 0 },
    { kernelSize: 3, stride: 2, padding: 1 },
    { kernelSize: 2, stride: 2, padding: 0 },
    { kernelSize: 5, stride: 1, padding: 2 },
    { kernelSize: 1, stride: 1, padding: 0 },
    { kernelSize: 4, stride: 3, padding: 1 },
  ];
  const shapes = [
    [1, 1, 5, 5],
    [2, 3, 7, 9],
    [1, 2, 16, 17],
  ];

  /** Runs fn with each convolution variant forced on the webgpu backend (the cpu side has one kernel). */
  const eachConvVariant = async (fn: (variant: MatmulVariantName) => Promise<void>) => {
    const gpu = await webgpuBackend();
    try {
      for (const variant of ['conv16', 'conv32', 'conv64'] as const) {
        gpu.tuner.force = variant;
        await fn(variant);
      }
    } finally {
      gpu.tuner.force = null;
    }
  };

  // Output channels and batches that are no multiple of the 8x8 block, odd channels in.
  const outChannels = [5, 13, 1];

  /** conv2d forward (bias, ReLU), its input and weight gradients (and bias) on both backends. */
  const compareConv = (g: (typeof geometries)[number], s: number[], OC: number, what: string) =>
    compareBackends(
      (b) => {
        const x = randn(b, s, 18);
        const w = randn(b, [OC, s[1], g.kernelSize, g.kernelSize], 19);
        const bias = randn(b, [OC], 20);
        const y = ops.conv2d(x, w, bias, g);
        const relu = ops.conv2d(x, w, bias, g, true);
        const dy = randn(b, [...y.shape], 21);
        const gb = ops.empty(b, [OC]);
        const gw = ops.conv2dBackwardWeight(dy, x, w.shape, g, undefined, gb);
        return [y, relu, ops.conv2dBackwardInput(dy, w, s, g), gw, gb];
      },
      1e-4,
      1e-4,
      `conv2d ${what} ${JSON.stringify(g)} [${s}] -> ${OC}`,
    );

  test('conv2d forward (bias, ReLU), input and weight gradients (and bias) match cpu on every geometry', async () => {
    for (const g of geometries) {
      for (const [i, s] of shapes.entries()) await compareConv(g, s, outChannels[i], 'fallback');
    }
  });

  test('every conv variant (workgroup size) computes the same', async () => {
    await eachConvVariant(async (variant) => {
      for (const g of [geometries[1], geometries[5]])
        await compareConv(g, shapes[1], outChannels[1], variant);
    });
  });

  test("conv2d at the CNN preset's second layer's shape matches cpu", async () => {
    const g = { kernelSize: 3, stride: 1, padding: 1 };
    await compareBackends(
      (b) => {
        const x = randn(b, [3, 16, 14, 14], 22);
        const w = randn(b, [32, 16, 3, 3], 23, 0.1);
        const y = ops.conv2d(x, w, undefined, g);
        const dy = randn(b, [...y.shape], 24);
        return [y, ops.conv2dBackwardInput(dy, w, x.shape, g), ops.conv2dBackwardWeight(dy, x, w.shape, g)];
      },
      1e-4,
      1e-4,
      'conv2d 16->32 on 14x14',
    );
  });

  test("a first layer's weight gradient, split over the images, matches cpu (bias too)", async () => {
    // 16 x 9 weights are two 8x8 blocks: the six images are summed in six parts, then added.
    await compareConv({ kernelSize: 3, stride: 1, padding: 1 }, [6, 1, 11, 13], 16, 'split');
  });

  test('the gradients are the adjoints of the convolution: <conv(x), dy> = <x, dx(dy)> = <w, dw(dy)>', async () => {
    for (const g of [geometries[1], geometries[5]]) {
      for (const b of await bothBackends()) {
        const x = randn(b, [2, 3, 7, 9], 25);
        const w = randn(b, [4, 3, g.kernelSize, g.kernelSize], 26);
        const y = ops.conv2d(x, w, undefined, g);
        const dy = randn(b, [...y.shape], 27);
        const dot = (p: Tensor, q: Tensor) => ops.reduce('sum', ops.binary('mul', p, q));
        const [lhs, viaInput, viaWeight] = await readAll([
          dot(y, dy),
          dot(x, ops.conv2dBackwardInput(dy, w, x.shape, g)),
          dot(w, ops.conv2dBackwardWeight(dy, x, w.shape, g)),
        ]);
        expect(viaInput[0]).toBeCloseTo(lhs[0], 3);
        expect(viaWeight[0]).toBeCloseTo(lhs[0], 3);
      }
    }
  });

  test('conv2d known values with padding', async () => {
    const [y] = await compareBackends(
      (b) =>
        ops.conv2d(ops.tensor(b, [1, 2, 3, 4], [1, 1, 2, 2]), ops.full(b, [1, 1, 2, 2], 1), undefined, {
          kernelSize: 2,
          stride: 1,
          padding: 1,
        }),
      0,
      0,
    );
    // Each output sums the 2x2 window at (oh - 1, ow - 1) of x = [[1, 2], [3, 4]], zeros outside.
    expect(Array.from(y)).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
  });

  test('conv2d refuses a wrong input before any work', () => {
    const b = new CpuBackend();
    const w = ops.full(b, [2, 3, 3, 3], 1);
    const g = { kernelSize: 3, stride: 1, padding: 0 };
    expect(() => ops.conv2d(ops.full(b, [1, 2, 5, 5], 1), w, undefined, g)).toThrow(
      'conv2d: input has 2 channels but the weight expects 3',
    );
    expect(() => ops.conv2d(ops.full(b, [3, 5, 5], 1), w, undefined, g)).toThrow(
      'conv2d expects input [N, C, H, W], got [3,5,5]',
    );
    expect(() => ops.conv2d(ops.full(b, [1, 3, 2, 2], 1), w, undefined, g)).toThrow(
      'a 3x3 window with padding 0 does not fit an input of 2x2',
    );
    expect(() => ops.conv2d(ops.full(b, [1, 3, 5, 5], 1), w, undefined, { ...g, stride: 0 })).toThrow(
      'conv2d needs a whole stride >= 1 and padding >= 0, got 0 and 0',
    );
  });

  test('max and avg pooling and their backward match cpu (stride 2, padding)', async () => {
    for (const g of geometries.filter((x) => x.padding <= x.kernelSize / 2)) {
      for (const s of shapes) {
        await compareBackends(
          (b) => {
            const x = randn(b, s, 22);
            const { out, indices } = ops.maxPool2d(x, g);
            const gm = randn(b, [...out.shape], 23);
            const avg = ops.avgPool2d(x, g);
            return [
              out,
              indices,
              ops.maxPool2dBackward(gm, indices, s, g),
              avg,
              ops.avgPool2dBackward(gm, s, g),
            ];
          },
          1e-5,
          1e-6,
          `pool ${JSON.stringify(g)} [${s}]`,
        );
      }
    }
  });

  test('pooling known values: 2x2 stride 2 and 3x3 stride 2 padding 1', async () => {
    const x = [1, 5, 2, 0, 3, 4, 8, 8, -1, -2, 6, 7, 0, 9, 1, 1];
    const [mx, idx, avg, back] = await compareBackends(
      (b) => {
        const t = ops.tensor(b, x, [1, 1, 4, 4]);
        const g = { kernelSize: 2, stride: 2, padding: 0 };
        const { out, indices } = ops.maxPool2d(t, g);
        return [
          out,
          indices,
          ops.avgPool2d(t, g),
          ops.maxPool2dBackward(ops.tensor(b, [1, 2, 3, 4], [1, 1, 2, 2]), indices, [1, 1, 4, 4], g),
        ];
      },
      0,
      0,
    );
    expect(Array.from(mx)).toEqual([5, 8, 9, 7]);
    // Ties (8, 8) pick the first position, like PyTorch.
    expect(Array.from(idx)).toEqual([1, 6, 13, 11]);
    expect(Array.from(avg)).toEqual([13 / 4, 18 / 4, 6 / 4, 15 / 4].map(Math.fround));
    expect(Array.from(back)).toEqual([0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 4, 0, 3, 0, 0]);
    const [pad] = await compareBackends(
      (b) => ops.avgPool2d(ops.full(b, [1, 1, 3, 3], 1), { kernelSize: 3, stride: 2, padding: 1 }),
      0,
      0,
    );
    // count_include_pad: corners see 4 of 9 cells.
    expect(Array.from(pad)).toEqual([4 / 9, 4 / 9, 4 / 9, 4 / 9].map(Math.fround));
  });

  test('overlapping max-pool windows route every gradient to the shared winner', async () => {
    const [back] = await compareBackends(
      (b) => {
        const x = ops.tensor(b, [0, 0, 0, 0, 9, 0, 0, 0, 0], [1, 1, 3, 3]);
        const g = { kernelSize: 2, stride: 1, padding: 0 };
        const { indices } = ops.maxPool2d(x, g);
        return ops.maxPool2dBackward(ops.full(b, [1, 1, 2, 2], 1), indices, [1, 1, 3, 3], g);
      },
      0,
      0,
    );
    expect(Array.from(back)).toEqual([0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });
});

describe('launch grids beyond 65535 workgroups in x (spread over y)', () => {
  test('70000 rows: logSoftmax (a workgroup per row), and row reductions and argmax', async () => {
    // Narrow rows, so that the rows' kernels take a thread per row (reductions) or per workgroup
    // (logSoftmax): 70000 workgroups of 256 with barriers take minutes on SwiftShader. Every
    // kernel with a workgroup per row finds its row with the same workgroup_index as logSoftmax.
    const rows = 70000;
    const [sum, am, ls] = await compareBackends(
      (b) => {
        const x = randn(b, [rows, 3], 30);
        return [ops.reduce('sum', x, 1), ops.reduce('argmax', x, 1), ops.logSoftmax(x)];
      },
      1e-5,
      1e-5,
    );
    expect([sum.length, am.length, ls.length]).toEqual([rows, rows, rows * 3]);
    // The last rows are the ones a grid capped at 65535 would miss.
    expect(Array.from(am.slice(-3)).every((v) => v >= 0 && v < 3)).toBe(true);
    const x = randnValues(rows * 3, 30);
    expect(sum[rows - 1]).toBeCloseTo(x[rows * 3 - 1] + x[rows * 3 - 2] + x[rows * 3 - 3], 5);
  });

  test('more than 65535 * 256 elements: unary and binary', async () => {
    const n = 65535 * 256 + 300;
    const [u, bin] = await compareBackends(
      (b) => {
        const x = ops.full(b, [n], 1.5);
        // Both contiguous: the strided path costs SwiftShader ten times as much at this size.
        return [ops.unary('affine', x, 2, 1), ops.binary('mul', ops.full(b, [n], 3), x)];
      },
      0,
      0,
    );
    expect([u[n - 1], bin[n - 1], u.length]).toEqual([4, 4.5, n]);
  });
});

describe('webgpu backend', () => {
  test('a tensor is readable after kernels queued behind a write', async () => {
    const gpu = await webgpuBackend();
    const t = ops.tensor(gpu, [1, 2, 3]);
    const doubled = ops.unary('affine', t, 2, 0);
    gpu.write(t.storage, new Float32Array([10, 20, 30]));
    const [d, again] = await readAll([doubled, t]);
    expect(Array.from(d)).toEqual([2, 4, 6]);
    expect(Array.from(again)).toEqual([10, 20, 30]);
  });
});
