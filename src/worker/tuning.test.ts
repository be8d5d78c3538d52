import { describe, expect, test, vi } from 'vitest';
import { withFreshIndexedDB } from '../storage/testing';
import { MatmulTuner } from '../tensor/autotune';
import { loadTuning, saveTuning } from './tuning';

withFreshIndexedDB();

describe('autotuner choices in IndexedDB', () => {
  test('saved per adapter, restored into a fresh tuner, unknown variants ignored', async () => {
    expect(await loadTuning('gpu A')).toEqual({});
    await saveTuning('gpu A', { '64x784x128x1NT': 'direct32', '1x1x1x1NN': 'no-such-kernel' });
    await saveTuning('gpu B', { '64x784x128x1NT': 'tiled' });
    const saved = await loadTuning('gpu A');
    expect(saved['64x784x128x1NT']).toBe('direct32');
    const tuner = new MatmulTuner('tuning test adapter', true);
    tuner.restore(saved);
    expect(tuner.chosen).toEqual({ '64x784x128x1NT': 'direct32' });
    // A restored shape is not queued for timing again.
    tuner.resolve({
      kernel: 'matmul',
      buffers: {},
      params: { M: 64, K: 784, N: 128, batch: 1, strideA: 0, strideB: 0, offsetA: 0, offsetB: 0 },
      constants: { TRANS_B: true },
    });
    expect(tuner.pendingShapes).toEqual([]);
    expect(await loadTuning('gpu B')).toEqual({ '64x784x128x1NT': 'tiled' });
  });

  test('storage failures are ignored: nothing saved, nothing loaded, nothing thrown', async () => {
    vi.stubGlobal('indexedDB', {
      open: () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
    });
    await expect(saveTuning('gpu', { a: 'tiled' })).resolves.toBeUndefined();
    await expect(loadTuning('gpu')).resolves.toEqual({});
    vi.stubGlobal('indexedDB', undefined);
    await expect(loadTuning('gpu')).resolves.toEqual({});
  });
});
