/**
 * The wasm backend's own concerns: its memory (growth under live views, the pool, trim, slices)
 * and the layouts its SIMD kernels take or leave to the cpu kernels, each checked against the cpu
 * reference. (Every kernel test in ops.test.ts, the optimizer tests and the gradient checks run on
 * wasm as well.)
 */
import { describe, expect, test } from 'vitest';
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import * as ops from './ops';
import type { Tensor } from './tensor';
import { assertClose, randn, randnValues, readAll, wasmBackend } from './testing';
import { WasmBackend } from './wasm';

/**
 * The same computation on cpu and on wasm, compared (tolerance 0 unless given); NaN must be NaN
 * on both, at the same places.
 */
async function againstCpu(
  build: (b: Backend) => Tensor[],
  rtol = 0,
  atol = 0,
  wasm?: WasmBackend,
): Promise<void> {
  wasm ??= await wasmBackend();
  const [want, got] = [await readAll(build(new CpuBackend())), await readAll(build(wasm))];
  want.forEach((w, i) => {
    expect([i, Array.from(got[i], Number.isNaN)]).toEqual([i, Array.from(w, Number.isNaN)]);
    const finite = (v: ArrayLike<number>) => Array.from(v, (x) => (Number.isNaN(x) ? 0 : x));
    assertClose(finite(got[i]), finite(w), rtol, atol, `output ${i}`);
  });
}

describe('wasm memory', () => {
  test('tensors keep their values when the memory grows under them', async () => {
    const b = await WasmBackend.create();
    const values = randnValues(1000, 1);
    const t = ops.tensor(b, values, [1000]);
    const before = b.buffer().byteLength;
    const big = ops.empty(b, [8 << 20]); // 32 MiB: more than the memory holds at first
    expect(b.buffer().byteLength).toBeGreaterThan(before);
    expect(Array.from(await t.data())).toEqual(Array.from(values));
    // A kernel on the old tensor after the growth reads and writes the new buffer.
    expect(Array.from(await ops.unary('neg', t).data())).toEqual(Array.from(values, (v) => -v));
    big.dispose();
    b.dispose();
  });

  test('freed blocks are pooled and reused by the next allocation of that size; trim gives the top back', async () => {
    const b = await WasmBackend.create();
    const [x, y] = [b.alloc(100), b.alloc(100)];
    expect(b.memory()).toEqual({ bytesInUse: 224, bytesPooled: 0, buffers: 2 });
    b.free(y);
    expect(b.memory()).toEqual({ bytesInUse: 112, bytesPooled: 112, buffers: 2 });
    const again = b.alloc(97);
    expect(b.memory()).toEqual({ bytesInUse: 224, bytesPooled: 0, buffers: 2 });
    b.free(again);
    b.free(x);
    b.trim();
    expect(b.memory()).toEqual({ bytesInUse: 0, bytesPooled: 0, buffers: 0 });
    b.dispose();
    expect(() => b.alloc(4)).toThrow(/disposed/);
  });

  test('a slice is a view of its parent, and holds it until freed', async () => {
    const b = await WasmBackend.create();
    const s = b.alloc(64);
    s.refs = 1;
    b.write(
      s,
      Float32Array.from({ length: 16 }, (_, i) => i),
    );
    const part = b.slice(s, 16, 20);
    expect(Array.from(new Float32Array(await b.read(part)))).toEqual([4, 5, 6, 7, 8]);
    b.write(part, new Float32Array([-1]));
    expect(new Float32Array(await b.read(s))[4]).toBe(-1);
    expect(() => b.slice(s, 8, 4)).toThrow(/slice/);
    expect(() => b.slice(s, 48, 32)).toThrow(/slice/);
    // The slice's ref goes with it; the parent stays until its own holder lets go too.
    b.free(part);
    expect([s.refs, b.memory().bytesInUse]).toEqual([1, 64]);
    s.refs--;
    b.free(s);
    expect(b.memory().bytesInUse).toBe(0);
    b.dispose();
  });
});

describe('wasm SIMD kernels and their layouts, against cpu', () => {
  test('binary ops: contiguous, and broadcasts along and across rows on either side', async () => {
    await againstCpu((b) => {
      const x = randn(b, [5, 3, 7], 1);
      const row = randn(b, [7], 2);
      const col = randn(b, [5, 3, 1], 3);
      const mid = randn(b, [1, 3, 7], 4);
      const scalar = randn(b, [1], 5);
      const channel = randn(b, [3, 1], 6);
      return (['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'reluGrad', 'gt', 'eq'] as const).flatMap(
        (op) => [
          ops.binary(op, x, x),
          ops.binary(op, x, row),
          ops.binary(op, x, col),
          ops.binary(op, col, x),
          ops.binary(op, x, mid),
          ops.binary(op, x, scalar),
          ops.binary(op, scalar, x),
          ops.binary(op, x, channel),
          ops.binary(op, channel, col),
        ],
      );
    });
  });

  test('strided copies: permutes that keep the last dim (a row at a time) and ones that do not (the cpu kernel)', async () => {
    await againstCpu((b) => {
      const x = randn(b, [4, 3, 5, 9], 11);
      return [ops.permute(x, [1, 0, 2, 3]), ops.permute(x, [2, 1, 0, 3]), ops.permute(x, [0, 1, 3, 2])];
    });
  });

  test('NaN and infinities pass through as on cpu: relu, max, min, comparisons', async () => {
    await againstCpu((b) => {
      const x = ops.tensor(b, [
        Number.NaN,
        1,
        -1,
        0,
        -0,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        2,
        3,
      ]);
      const y = ops.tensor(b, [0, Number.NaN, -2, -0, 0, 1, Number.NaN, 2, Number.POSITIVE_INFINITY]);
      return [
        ops.unary('relu', x),
        ops.unary('abs', x),
        ops.unary('leakyRelu', x, 0.01),
        ops.unary('clamp', x, -0.5, 0.5),
        ops.unary('affine', x, 2, -1),
        ops.binary('maximum', x, y),
        ops.binary('minimum', x, y),
        ops.binary('gt', x, y),
        ops.binary('eq', x, y),
        ops.binary('reluGrad', x, y),
        ops.binary('div', x, y),
      ];
    });
  });

  test('sums over rows, columns and the middle dim, and sums of squares, on awkward sizes', async () => {
    await againstCpu(
      (b) => {
        const x = randn(b, [3, 37, 11], 6);
        return [
          ops.reduce('sum', x, 2),
          ops.reduce('sum', x, 1),
          ops.reduce('sum', x, 0),
          ops.reduce('sumSquares', x, 1),
          ops.reduce('sum', x, [0, 2], false, 1 / 33),
          ops.reduce('max', x, 1),
        ];
      },
      1e-6,
      1e-6,
    );
  });

  test('matmul: sizes around the 4x8 register block, every transpose, bias, relu, row sums, batches', async () => {
    for (const [M, K, N] of [
      [1, 1, 1],
      [3, 5, 7],
      [4, 9, 8],
      [5, 16, 13],
      [9, 3, 12],
      [33, 70, 17],
    ]) {
      for (const transA of [false, true])
        for (const transB of [false, true])
          await againstCpu(
            (b) => {
              const a = randn(b, transA ? [K, M] : [M, K], 7);
              const w = randn(b, transB ? [N, K] : [K, N], 8);
              const sums = ops.empty(b, [M]);
              const bias = randn(b, [N], 9);
              const a3 = randn(b, transA ? [2, K, M] : [2, M, K], 10);
              return [
                ops.matmul(a, w, { transA, transB, rowSums: sums }),
                sums,
                ops.matmul(a, w, { transA, transB, bias, relu: true }),
                ops.matmul(a3, w, { transA, transB }),
              ];
            },
            1e-5,
            1e-5,
          );
    }
  });

  test('max pooling and its backward: odd sizes, padding, overlapping and gapped windows, ties, NaN', async () => {
    // Values on a coarse grid (many ties, +0 against -0), NaN and infinities here and there.
    const shape = [2, 3, 11, 13];
    const values = Float32Array.from(randnValues(2 * 3 * 11 * 13, 19), (v) => Math.round(v * 2) / 2);
    values.forEach((_, i) => {
      if (i % 37 === 5) values[i] = Number.NaN;
      if (i % 41 === 7) values[i] = i % 2 ? -0 : Number.NEGATIVE_INFINITY;
    });
    for (const [H, W] of [
      [11, 13],
      [8, 8],
      [5, 7],
      [1, 9],
    ]) {
      await againstCpu((b) => {
        const x = ops.tensor(b, values.slice(0, 6 * H * W), [shape[0], shape[1], H, W]);
        return [
          { kernelSize: 2, stride: 2, padding: 0 },
          { kernelSize: 2, stride: 2, padding: 1 },
          { kernelSize: 3, stride: 2, padding: 1 },
          { kernelSize: 3, stride: 1, padding: 1 },
          { kernelSize: 2, stride: 3, padding: 0 },
          // Windows wholly in the padding: -Infinity, index -1, no gradient.
          { kernelSize: 2, stride: 2, padding: 2 },
        ]
          .filter((g) => H + 2 * g.padding >= g.kernelSize)
          .flatMap((g) => {
            const { out, indices } = ops.maxPool2d(x, g);
            const dy = Float32Array.from(randnValues(out.size, 20), (v, i) =>
              i % 5 === 1 ? -0 : i % 11 === 2 ? Number.NaN : v,
            );
            const dx = ops.maxPool2dBackward(ops.tensor(b, dy, out.shape), indices, x.shape, g);
            // 1 / dx tells +0 (the cpu kernel's 0 + -0) from -0.
            return [out, indices, dx, ops.binary('div', ops.full(b, x.shape, 1), dx)];
          });
      });
    }
    // Indices that are not their windows' (any pixel of the plane): the backward scatters them all the same.
    await againstCpu((b) => {
      const g = { kernelSize: 2, stride: 2, padding: 0 };
      const at = Int32Array.from({ length: 6 * 5 * 6 }, (_, i) => (i * 7919) % (11 * 13));
      const indices = ops.tensor(b, at, [2, 3, 5, 6], 'int32');
      return [ops.maxPool2dBackward(randn(b, [2, 3, 5, 6], 21), indices, shape, g)];
    });
  });

  test('batches gathered from uint8 datasets: images normalised (rows of whole words, and not), labels widened', async () => {
    await againstCpu((b) =>
      [784, 7].flatMap((rowSize) => {
        const pixels = Uint8Array.from({ length: 10 * rowSize }, (_, i) => (i * 37 + 11) % 256);
        const images = ops.bytes(b, pixels);
        const labels = ops.bytes(
          b,
          Uint8Array.from({ length: 10 }, (_, i) => (i * 3) % 10),
        );
        const index = ops.tensor(b, new Int32Array([3, 9, 0, 4, 4]), [5], 'int32');
        return ops.gatherBatch(images, labels, index, 1, 4, [rowSize], 0.1307, 0.3081);
      }),
    );
  });

  test('convolution weight gradients with infinities: the last vector of a row, re-read, counts each product once', async () => {
    // 25 positions per image (not a whole number of vectors): the weight gradient's rows end in a
    // vector that re-reads 3 lanes; an Inf there must stay one Inf product, not 0 * Inf = NaN.
    const values = randnValues(2 * 3 * 7 * 7, 21);
    for (const at of [20, 22, 23, 49 + 23, 2 * 49 + 46])
      values[at] = at % 2 ? Number.NEGATIVE_INFINITY : Infinity;
    const g = { kernelSize: 3, stride: 1, padding: 0 };
    for (const wasm of [await wasmBackend(), await WasmBackend.create({ relaxedSimd: false })])
      await againstCpu(
        (b) => {
          const x = ops.tensor(b, values, [2, 3, 7, 7]);
          const dy = randn(b, [2, 4, 5, 5], 22);
          return [ops.conv2dBackwardWeight(dy, x, [4, 3, 3, 3], g)];
        },
        1e-5,
        1e-5,
        wasm,
      );
  });

  test('the plain SIMD build (no relaxed SIMD, as on engines without it) agrees with cpu too; Node runs the relaxed one', async () => {
    expect((await wasmBackend()).relaxedSimd).toBe(true);
    const plain = await WasmBackend.create({ relaxedSimd: false });
    expect(plain.relaxedSimd).toBe(false);
    await againstCpu(
      (b) => {
        const x = randn(b, [3, 2, 9, 11], 23);
        const w = randn(b, [5, 2, 3, 3], 24);
        const g = { kernelSize: 3, stride: 1, padding: 1 };
        const y = ops.conv2d(x, w, randn(b, [5], 25), g, true);
        const dy = randn(b, [...y.shape], 26);
        return [
          ops.matmul(randn(b, [33, 70], 27), randn(b, [17, 70], 28), { transB: true }),
          y,
          ops.conv2dBackwardInput(dy, w, x.shape, g),
          ops.conv2dBackwardWeight(dy, x, w.shape, g),
        ];
      },
      1e-5,
      1e-5,
      plain,
    );
    plain.dispose();
  });
});
