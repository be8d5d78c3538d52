import { describe, expect, test } from 'vitest';
import { type MatmulCall, MatmulTuner, matmulShapeKey } from './autotune';
import * as ops from './ops';
import { randn, readAll, webgpuBackend } from './testing';
import { WebGPUBackend } from './webgpu';

const call = (M: number, K: number, N: number, transA = false): MatmulCall => ({
  kernel: 'matmul',
  buffers: {},
  params: { M, K, N, batch: 1, strideA: 0, strideB: 0, offsetA: 0, offsetB: 0 },
  constants: { TRANS_A: transA, TRANS_B: false },
});

describe('MatmulTuner', () => {
  test('uses the fallback until a shape is tuned, then the fastest candidate', async () => {
    const tuner = new MatmulTuner('test adapter 1', true);
    expect(tuner.resolve(call(64, 784, 128)).constants?.WG).toBe(16);
    tuner.resolve(call(64, 784, 128));
    tuner.resolve(call(128, 64, 784, true));
    expect(tuner.pendingShapes).toEqual(['64x784x128x1NN', '128x64x784x1TN']);
    // A made-up clock: WG 32 is fastest on the first shape, WG 64 on the second.
    const fake: Record<string, number> = {
      '64x784x128x1NN|16': 3,
      '64x784x128x1NN|32': 1,
      '64x784x128x1NN|64': 2,
      '128x64x784x1TN|16': 3,
      '128x64x784x1TN|32': 2,
      '128x64x784x1TN|64': 1,
    };
    const timed: string[] = [];
    await tuner.tune(async (c) => {
      const key = `${matmulShapeKey(c)}|${c.constants?.WG}`;
      timed.push(key);
      return fake[key];
    });
    expect(timed.sort()).toEqual(Object.keys(fake).sort());
    expect(tuner.pendingShapes).toEqual([]);
    expect(tuner.chosen).toEqual({ '64x784x128x1NN': 'direct32', '128x64x784x1TN': 'direct64' });
    const tuned = tuner.resolve(call(64, 784, 128));
    expect(tuned.kernel).toBe('matmulDirect');
    expect(tuned.constants).toEqual({ TRANS_A: false, TRANS_B: false, WG: 32 });
    // Nothing is queued again, and another tuner on the same adapter shares the choices.
    expect(tuner.pendingShapes).toEqual([]);
    expect(new MatmulTuner('test adapter 1', true).chosen).toEqual(tuner.chosen);
    expect(new MatmulTuner('test adapter 2', true).chosen).toEqual({});
  });

  test('convolutions are tuned over the conv variants only, forced and restored by kind', async () => {
    const conv: MatmulCall = {
      kernel: 'convGemm',
      buffers: {},
      params: {
        M: 16,
        K: 9,
        N: 784,
        batch: 64,
        C: 1,
        H: 28,
        W: 28,
        OC: 16,
        KH: 3,
        KW: 3,
        OH: 28,
        OW: 28,
        stride: 1,
        pad: 1,
      },
      constants: { CONV_MODE: 0 },
    };
    const tuner = new MatmulTuner('test adapter conv', true);
    expect(tuner.resolve(conv)).toMatchObject({ kernel: 'convGemm', constants: { CONV_MODE: 0, WG: 16 } });
    const key = 'conv0:16x9x784x64:1x28x28k3s1p1';
    expect(tuner.pendingShapes).toEqual([key]);
    const timed: string[] = [];
    await tuner.tune(async (c) => {
      timed.push(`${c.kernel}|${c.constants?.WG}`);
      return c.constants?.WG === 32 ? 1 : 2;
    });
    expect(timed).toEqual(['convGemm|16', 'convGemm|32', 'convGemm|64']);
    expect(tuner.chosen).toEqual({ [key]: 'conv32' });
    // A forced matmul variant leaves convolutions alone, and a conv variant leaves products alone.
    tuner.force = 'direct64';
    expect(tuner.resolve(conv).constants?.WG).toBe(32);
    tuner.force = 'conv64';
    expect(tuner.resolve(conv).constants?.WG).toBe(64);
    expect(tuner.resolve(call(8, 8, 8)).kernel).toBe('matmulDirect');
    // Saved choices of the wrong kind for a key are ignored.
    const fresh = new MatmulTuner('test adapter conv 2', true);
    fresh.restore({
      'conv1:1x1x1x1:1x1x1k1s1p0': 'direct32',
      '8x8x8x1NN': 'conv16',
      'conv2:1x1x1x1:1x1x1k1s1p0': 'conv64',
    });
    expect(fresh.chosen).toEqual({ 'conv2:1x1x1x1:1x1x1k1s1p0': 'conv64' });
  });

  test('GPUs start on the tiled kernel and time it against the direct one', () => {
    const tuner = new MatmulTuner('test gpu', false);
    expect(tuner.resolve(call(1024, 1024, 1024)).kernel).toBe('matmul');
    expect(tuner.candidates).toContain('tiled');
    expect(new MatmulTuner('test cpu', true).candidates).not.toContain('tiled');
  });

  test('on the webgpu backend: tune() settles new shapes and the product is unchanged', async () => {
    const gpu = await webgpuBackend();
    const backend = new WebGPUBackend(gpu.device);
    ops.matmul(ops.full(backend, [1, 1], 1), ops.full(backend, [1, 1], 1)).dispose();
    const held = backend.memory().bytesInUse; // the backend's own (an unused-binding buffer)
    const a = randn(backend, [37, 91], 1);
    const b = randn(backend, [91, 23], 2);
    const [before] = await readAll(ops.matmul(a, b));
    expect(backend.tuner.pendingShapes).toContain('37x91x23x1NN');
    await backend.tune();
    expect(backend.tuner.pendingShapes).toEqual([]);
    expect(backend.tuner.chosen['37x91x23x1NN']).toBeDefined();
    // Every variant sums over k in the same order: the tuned product is bit for bit the same.
    const [after] = await readAll(ops.matmul(a, b));
    expect(Array.from(after)).toEqual(Array.from(before));
    // Scratch buffers went back to the pool.
    a.dispose();
    b.dispose();
    expect(backend.memory().bytesInUse).toBe(held);
  });
});
