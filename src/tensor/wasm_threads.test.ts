/**
 * The wasm backend on several threads (Node's worker_threads on a shared memory): the split
 * kernels give bit for bit what one thread gives, on sizes that do not divide evenly, and agree
 * with the cpu reference; the parts cover the work exactly once; the option is checked and the
 * backend falls back to one thread where there is no SharedArrayBuffer.
 */
import { afterAll, describe, expect, test, vi } from 'vitest';
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import * as ops from './ops';
import type { Tensor } from './tensor';
import { assertClose, randn, randnValues, readAll } from './testing';
import { WasmBackend } from './wasm';
import { WASM_KERNELS_SHARED } from './wasm_binary.generated';
import { part, WasmThreads } from './wasm_threads';

const backends = new Map<number, WasmBackend>();
afterAll(() => {
  for (const b of backends.values()) b.dispose();
});

/** A backend on `threads` threads, made once for the file (starting workers is the slow part). */
async function backend(threads: number): Promise<WasmBackend> {
  let b = backends.get(threads);
  if (!b) {
    b = await WasmBackend.create({ threads });
    backends.set(threads, b);
  }
  return b;
}

/** The same computation on one wasm thread, on 3 and on 4, compared bit for bit; and with cpu, within `tol`. */
async function threadedAgainstSingle(build: (b: Backend) => Tensor[], tol = 1e-5): Promise<void> {
  const [one, three, four] = [await backend(1), await backend(3), await backend(4)];
  expect([one.threads, three.threads, four.threads]).toEqual([1, 3, 4]);
  const want = await readAll(build(one));
  for (const b of [three, four]) {
    const before = b.splitLaunches;
    const got = await readAll(build(b));
    // The work really was split (else the comparison would prove nothing).
    expect(b.splitLaunches).toBeGreaterThan(before);
    got.forEach((g, i) => {
      // Bit for bit: compare the words, so -0 and NaN payloads count too.
      const bits = (v: ArrayLike<number>) => new Uint32Array(Float32Array.from(v).buffer);
      expect([i, b.threads, bits(g)]).toEqual([i, b.threads, bits(want[i])]);
    });
  }
  const cpu = await readAll(build(new CpuBackend()));
  cpu.forEach((w, i) => {
    expect([i, Array.from(want[i], Number.isNaN)]).toEqual([i, Array.from(w, Number.isNaN)]);
    const finite = (v: ArrayLike<number>) => Array.from(v, (x) => (Number.isNaN(x) ? 0 : x));
    assertClose(finite(want[i]), finite(w), tol, tol, `output ${i}`);
  });
}

describe('the wasm backend on threads', () => {
  test('parts cover the units once, in whole blocks, for any count of threads', () => {
    for (const total of [0, 1, 3, 4, 5, 17, 64, 129])
      for (const grain of [1, 4])
        for (const parts of [1, 2, 3, 4, 7]) {
          let at = 0;
          for (let i = 0; i < parts; i++) {
            const [from, to] = part(total, grain, parts, i);
            expect(from).toBe(at);
            expect(to).toBeGreaterThanOrEqual(from);
            if (to < total) expect(to % grain).toBe(0);
            at = to;
          }
          expect(at).toBe(total);
        }
  });

  test('matmul split by rows: bit-identical to one thread on awkward sizes, every transpose, bias, relu, row sums, batches', async () => {
    for (const [M, K, N] of [
      // Each at least 2^18 multiply-adds, the least the backend splits.
      [67, 129, 37],
      [5, 1030, 67], // B of 1030 x 67: its transpose splits too
      [130, 64, 33],
      [9, 2100, 15],
    ]) {
      for (const transA of [false, true])
        for (const transB of [false, true])
          await threadedAgainstSingle((b) => {
            const a = randn(b, transA ? [K, M] : [M, K], 1);
            const w = randn(b, transB ? [N, K] : [K, N], 2);
            const sums = ops.empty(b, [M]);
            const bias = randn(b, [N], 3);
            const a3 = randn(b, transA ? [3, K, M] : [3, M, K], 4);
            return [
              ops.matmul(a, w, { transA, transB, rowSums: sums }),
              sums,
              ops.matmul(a, w, { transA, transB, bias, relu: true }),
              ops.matmul(a3, w, { transA, transB }),
            ];
          }, 1e-4);
    }
  });

  test('batched products split by product (a convolution: one weight, a batch of columns): bit-identical to one thread', async () => {
    for (const transB of [false, true])
      await threadedAgainstSingle((b) => {
        const w = randn(b, [6, 25], 11);
        const cols = randn(b, transB ? [7, 301, 25] : [7, 25, 301], 12);
        const a3 = randn(b, [7, 6, 25], 13);
        return [ops.matmul(w, cols, { transB }), ops.matmul(a3, cols, { transB, relu: true })];
      });
  });

  test('NaN and infinities in a split product land where one thread puts them', async () => {
    await threadedAgainstSingle((b) => {
      const values = randnValues(41 * 257, 5);
      values[3 * 257 + 5] = Number.NaN;
      values[40 * 257] = Number.POSITIVE_INFINITY;
      const a = ops.tensor(b, values, [41, 257]);
      return [ops.matmul(a, randn(b, [257, 29], 6), { relu: true })];
    });
  });

  test('convolutions (read in place at stride 1, unfolded when strided), split by image or by taps: bit-identical to one thread', async () => {
    for (const g of [
      { kernelSize: 3, stride: 1, padding: 1 },
      { kernelSize: 5, stride: 2, padding: 2 },
    ])
      await threadedAgainstSingle((b) => {
        const x = randn(b, [9, 4, 30, 29], 7);
        const [w, bias] = [randn(b, [6, 4, g.kernelSize, g.kernelSize], 8), randn(b, [6], 9)];
        const y = ops.conv2d(x, w, bias, g, true);
        const dy = randn(b, [...y.shape], 10);
        const gb = ops.full(b, [6], 0);
        const gw = ops.conv2dBackwardWeight(dy, x, w.shape, g, undefined, gb);
        return [y, ops.conv2dBackwardInput(dy, w, x.shape, g), gw, gb];
        // Against cpu to 1e-4: the weight gradient sums thousands of products in another order.
      }, 1e-4);
  });

  test('max pooling and its backward split by plane, batch norm by image: bit-identical to one thread, NaN included', async () => {
    await threadedAgainstSingle((b) => {
      const values = randnValues(9 * 8 * 33 * 29, 14);
      values[5] = Number.NaN;
      const x = ops.tensor(b, values, [9, 8, 33, 29]);
      const pools = [
        { kernelSize: 2, stride: 2, padding: 0 },
        { kernelSize: 3, stride: 2, padding: 1 },
      ].flatMap((g) => {
        const { out, indices } = ops.maxPool2d(x, g);
        const dx = ops.maxPool2dBackward(randn(b, [...out.shape], 18), indices, x.shape, g);
        return [out, indices, dx];
      });
      const stats = ops.tensor(b, randnValues(16, 15), [16]);
      const [w, bias] = [randn(b, [8], 16), randn(b, [8], 17)];
      return [...pools, ops.batchNormApply(x, stats, w, bias, true), ops.batchNormApply(x, stats)];
    });
  });

  test('batch norm statistics and backward sums split by channel, its input gradient by image: bit-identical to one thread, NaN included', async () => {
    // 7 channels of 33 x 29 pixels (not whole vectors), a NaN in x's channel 2 and in dy; with
    // the ReLU fused (its mask) and without, affine and not.
    await threadedAgainstSingle((b) => {
      const shape = [10, 7, 33, 29];
      const values = randnValues(10 * 7 * 33 * 29, 18, 2);
      values[3 * 7 * 957 + 2 * 957 + 100] = Number.NaN;
      const x = ops.tensor(b, values, shape);
      const dyValues = randnValues(values.length, 19);
      dyValues[5 * 7 * 957 + 4 * 957 + 11] = Number.NaN;
      const dy = ops.tensor(b, dyValues, shape);
      const [mean, variance] = [randn(b, [7], 20), ops.full(b, [7], 1)];
      const stats = ops.batchNormStats(x, mean, variance, { training: true, momentum: 0.1, eps: 1e-5 });
      const [w, bias] = [randn(b, [7], 21), randn(b, [7], 22)];
      const y = ops.batchNormApply(x, stats, w, bias, true);
      const relu = ops.batchNormBackward(dy, x, stats, w, true, true, {}, y);
      const plain = ops.batchNormBackward(dy, x, stats, undefined, true, true);
      return [
        stats,
        mean,
        variance,
        relu.dx!,
        relu.dweight,
        relu.dbias,
        plain.dx!,
        plain.dweight,
        plain.dbias,
      ];
    });
  });

  test('dropout split by element: each part hashes the indices of its own elements, bit-identical to one thread and to cpu', async () => {
    // Past the split threshold, and not a whole number of vectors per part.
    await threadedAgainstSingle((b) => {
      const values = randnValues(70_001, 23);
      values[12_345] = Number.NaN;
      const x = ops.tensor(b, values, [70_001]);
      return [ops.dropoutMask(x, 0.3, 1234), ops.dropoutMask(x, 0.5, 7)];
    }, 0);
  });

  /**
   * One worker on a memory of its own, and a product for it: A [8, 2] times B [2, 4] into out
   * [8, 4], split by rows (the worker's half: rows 4-7), and the product's values.
   */
  async function productOnThreads() {
    const module = await WebAssembly.compile(
      Uint8Array.from(atob(WASM_KERNELS_SHARED), (c) => c.charCodeAt(0)),
    );
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
    const k = (await WebAssembly.instantiate(module, { env: { memory, abort: () => {} } }))
      .exports as unknown as Record<string, (...a: number[]) => void>;
    const threads = await WasmThreads.start(module, memory, 1);
    const f32 = new Float32Array(memory.buffer);
    const [a, b, out] = [0, 4096, 8192]; // byte addresses
    f32.set(
      Array.from({ length: 16 }, (_, i) => i),
      a / 4,
    );
    f32.set([1, 2, 3, 4, 5, 6, 7, 8], b / 4);
    const args = [a, b, out, 8, 4, 2, 2, 1, 0, 0];
    const split = {
      total: 8,
      grain: 4,
      countArg: 3,
      pointers: [
        [0, 8],
        [2, 16],
      ] as [number, number][],
    };
    // Row m of the product: [m0 * 1 + m1 * 5, ...] with A's row m = [2m, 2m + 1].
    const want = Array.from({ length: 32 }, (_, i) => {
      const [m, j] = [Math.floor(i / 4), i % 4];
      return 2 * m * (j + 1) + (2 * m + 1) * (j + 5);
    });
    const result = () => {
      const got = Array.from(f32.subarray(out / 4, out / 4 + 32));
      f32.fill(0, out / 4, out / 4 + 32);
      return got;
    };
    return { threads, k, args, split, want, result };
  }

  test('a part that traps on a worker fails the launch with an error, and the threads go on working', async () => {
    const { threads, k, args, split, want, result } = await productOnThreads();
    try {
      // The second part's output lands 1 GiB on, past the end of the memory: that worker traps.
      const bad = {
        ...split,
        pointers: [
          [0, 8],
          [2, 1 << 28],
        ] as [number, number][],
      };
      expect(() => threads.launch('matmul', args, bad, k)).toThrow(/failed on a worker thread/);
      result();
      threads.launch('matmul', args, split, k);
      expect(result()).toEqual(want);
    } finally {
      threads.stop();
    }
  });

  test("a worker woken with no new launch (Node's Atomics.wait can return so) sleeps again instead of running the last one twice", async () => {
    const { threads, k, args, split, want, result } = await productOnThreads();
    try {
      threads.launch('matmul', args, split, k);
      expect(result()).toEqual(want);
      // The control block's first words: the launch generation the workers sleep on, then the
      // count of parts still running, which the caller waits to see reach 0.
      const ctl = (threads as unknown as { ctl: Int32Array }).ctl;
      const [GEN, PENDING] = [0, 1];
      await new Promise((r) => setTimeout(r, 50)); // past the worker's spin: asleep
      Atomics.notify(ctl, GEN);
      await new Promise((r) => setTimeout(r, 50));
      // Counted twice, the next launch's barrier would never open (a hang seen under load).
      expect(Atomics.load(ctl, PENDING)).toBe(0);
      threads.launch('matmul', args, split, k);
      expect(result()).toEqual(want);
    } finally {
      threads.stop();
    }
  });

  test('threads must be a whole number from 1; dispose stops the workers', async () => {
    await expect(WasmBackend.create({ threads: 0 })).rejects.toThrow(/threads must be a whole number/);
    await expect(WasmBackend.create({ threads: 2.5 })).rejects.toThrow(/threads must be a whole number/);
    const b = await WasmBackend.create({ threads: 2 });
    const a = randn(b, [64, 64], 9);
    b.dispose();
    expect(() => ops.matmul(a, a)).toThrow(/disposed/);
  });

  test('without SharedArrayBuffer (a page that is not cross-origin isolated) it runs on one thread', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    try {
      const b = await WasmBackend.create({ threads: 4 });
      expect(b.threads).toBe(1);
      const want = await readAll(ops.matmul(randn(b, [40, 50], 1), randn(b, [50, 60], 2)));
      b.dispose();
      const cpu = new CpuBackend();
      const [y] = await readAll(ops.matmul(randn(cpu, [40, 50], 1), randn(cpu, [50, 60], 2)));
      assertClose(Array.from(want[0]), Array.from(y), 1e-5, 1e-5);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
