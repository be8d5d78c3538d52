import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, test } from 'vitest';
import { MatmulTuner } from '../tensor/autotune';
import { loadTuning, saveTuning } from './tuning';

describe('autotuner choices in IndexedDB', () => {
  test('saved per adapter, restored into a fresh tuner, unknown variants ignored', async () => {
    const idb = new IDBFactory();
    expect(await loadTuning('gpu A', idb)).toEqual({});
    await saveTuning('gpu A', { '64x784x128x1NT': 'direct32', '1x1x1x1NN': 'no-such-kernel' }, idb);
    await saveTuning('gpu B', { '64x784x128x1NT': 'tiled' }, idb);
    const saved = await loadTuning('gpu A', idb);
    expect(saved['64x784x128x1NT']).toBe('direct32');
    const tuner = new MatmulTuner('tuning test adapter', true);
    tuner.restore(saved);
    expect(tuner.chosen).toEqual({ '64x784x128x1NT': 'direct32' });
    // A restored shape is not queued for timing again.
    tuner.resolve({
      kernel: 'matmul',
      buffers: {},
      params: { M: 64, K: 784, N: 128, batch: 1 },
      constants: { TRANS_B: true },
    });
    expect(tuner.pendingShapes).toEqual([]);
    expect(await loadTuning('gpu B', idb)).toEqual({ '64x784x128x1NT': 'tiled' });
  });

  test('storage failures are ignored: nothing saved, nothing loaded, nothing thrown', async () => {
    const broken = {
      open: () => {
        throw new Error('QuotaExceededError');
      },
    } as unknown as IDBFactory;
    await expect(saveTuning('gpu', { a: 'tiled' }, broken)).resolves.toBeUndefined();
    await expect(loadTuning('gpu', broken)).resolves.toEqual({});
    await expect(loadTuning('gpu', undefined)).resolves.toEqual({});
  });
});
