import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isQuotaError, QuotaError } from '../storage/indexeddb';
import { FULL_DISK_MODES, simulateFullDisk, withFreshIndexedDB } from '../storage/testing';
import { DatasetCache } from './cache';
import { DatasetError } from './errors';
import type { ImageDataset, TabularDataset } from './types';

function images(name: string, fill: number, count = 3): ImageDataset {
  return {
    kind: 'image',
    name,
    images: new Uint8Array(count * 4 * 5).fill(fill),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
    count,
    rows: 4,
    cols: 5,
    channels: 1,
    numClasses: 2,
  };
}

const table: TabularDataset = {
  kind: 'tabular',
  name: 'iris',
  features: Float32Array.from([5.1, 3.5, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4]),
  labels: Int32Array.from([0, 1]),
  count: 2,
  numFeatures: 4,
  numClasses: 3,
};

describe('DatasetCache', () => {
  let cache: DatasetCache;
  withFreshIndexedDB();
  beforeEach(async () => {
    cache = await DatasetCache.open();
  });
  afterEach(() => cache.close());

  it('stores, lists, reads back, deletes and clears datasets', async () => {
    const a = images('mnist-train', 9);
    const info = await cache.put(a, 'data/mnist/train-images-idx3-ubyte.gz');
    expect(info).toMatchObject({
      name: 'mnist-train',
      kind: 'image',
      shape: [1, 4, 5],
      count: 3,
      byteSize: 63,
    });
    await cache.put(table, 'iris.csv');

    const listed = await cache.list();
    expect(listed.map((d) => d.name)).toEqual(['iris', 'mnist-train']);
    expect(listed[0]).toMatchObject({
      kind: 'tabular',
      shape: [4],
      numClasses: 3,
      source: 'iris.csv',
      byteSize: 40,
    });
    expect(await cache.totalBytes()).toBe(103);

    expect(await cache.get('mnist-train')).toEqual(a);
    const t = await cache.get('iris');
    expect(t).toEqual(table);
    expect(t?.kind === 'tabular' && t.features).toBeInstanceOf(Float32Array);
    const named = { ...table, name: 'iris-named', columns: ['a', 'b', 'c', 'd'], classes: ['x', 'y', 'z'] };
    await cache.put(named, 'iris.csv');
    expect(await cache.get('iris-named')).toEqual(named);
    await cache.delete('iris-named');
    expect(await cache.get('missing')).toBeUndefined();
    expect(await cache.has('iris')).toBe(true);

    expect(await cache.delete('iris')).toBe(true);
    expect(await cache.delete('iris')).toBe(false);
    expect(await cache.has('iris')).toBe(false);
    await cache.clear();
    expect(await cache.list()).toEqual([]);
    expect(await cache.totalBytes()).toBe(0);
  });

  it('stores only the viewed bytes of an array that is a view into a larger buffer', async () => {
    const file = new Uint8Array(1000);
    const ds = { ...images('v', 1), images: file.subarray(16, 16 + 60) };
    await cache.put(ds);
    const back = (await cache.get('v')) as ImageDataset;
    expect(back.images.buffer.byteLength).toBe(60);
  });

  it('persists across connections to the same database', async () => {
    await cache.putAll([images('train', 1), images('test', 2)], 'here');
    const second = await DatasetCache.open();
    expect((await second.list()).map((d) => d.name)).toEqual(['test', 'train']);
    second.close();
  });

  for (const mode of FULL_DISK_MODES) {
    it(`reports a full quota (${mode}) as a QuotaError and leaves stored datasets untouched`, async () => {
      const old = images('mnist-train', 1);
      await cache.put(old, 'first');
      simulateFullDisk('arrays', mode);

      const error = await cache
        .putAll([images('mnist-train', 2), images('mnist-test', 3)], 'second')
        .catch((e) => e);
      expect(error).toBeInstanceOf(QuotaError);
      expect(error.message).toMatch(/^mnist-train, mnist-test: cannot be stored: storage is full/);
      expect(isQuotaError(error.cause)).toBe(true);

      vi.restoreAllMocks();
      // Neither the replacement's metadata nor the new dataset survived the failed transaction.
      expect(await cache.list()).toMatchObject([{ name: 'mnist-train', source: 'first' }]);
      expect(await cache.get('mnist-train')).toEqual(old);
      expect(await cache.get('mnist-test')).toBeUndefined();
      // And the cache still works afterwards.
      await cache.put(images('mnist-test', 3));
      expect(await cache.has('mnist-test')).toBe(true);
    });
  }

  it('reports other storage failures as DatasetErrors, with the metadata write rolled back', async () => {
    // A function cannot be structured-cloned: the arrays put throws after the metadata put was queued.
    const uncloneable = Object.assign(() => 0, { byteOffset: 0, byteLength: 0, buffer: { byteLength: 0 } });
    const bad = { ...table, name: 'bad', features: uncloneable as unknown as Float32Array };
    const error = await cache.put(bad).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toMatch(/^bad: cannot be cached \(DataCloneError/);
    expect(await cache.list()).toEqual([]);
  });

  it("reports the browser's storage estimate where navigator.storage exists", async () => {
    vi.stubGlobal('navigator', { storage: { estimate: async () => ({ usage: 5, quota: 10 }) } });
    expect(await cache.storageEstimate()).toEqual({ usage: 5, quota: 10 });
    vi.stubGlobal('navigator', undefined);
    expect(await cache.storageEstimate()).toBeUndefined();
  });

  it("keeps a user's dataset apart from a built-in one of the same name", async () => {
    const builtin = images('mnist-train', 1);
    const upload = images('mnist-train', 7, 2);
    await cache.put(builtin, 'site', 'builtin');
    await cache.put(upload, 'mnist-train.csv');
    expect(await cache.get('mnist-train', 'builtin')).toEqual(builtin);
    expect(await cache.get('mnist-train')).toEqual(upload);
    expect((await cache.list()).map((d) => [d.key, d.namespace, d.source])).toEqual([
      ['builtin/mnist-train', 'builtin', 'site'],
      ['user/mnist-train', 'user', 'mnist-train.csv'],
    ]);
    expect(await cache.delete('mnist-train')).toBe(true);
    expect(await cache.has('mnist-train', 'builtin')).toBe(true);
  });
});
