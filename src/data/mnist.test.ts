import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { QuotaError } from '../storage/indexeddb';
import { withFreshIndexedDB } from '../storage/testing';
import { DatasetCache } from './cache';
import type { DownloadProgress } from './download';
import { DatasetError } from './errors';
import { loadMnist, MNIST_FILES, mnistFromFiles } from './mnist';
import { MNIST_DATA_DIR, makeIdx, streamedResponse } from './testing';

/** The four MNIST files gzipped, as the site serves them (level 1 here: the test wants speed, not size). */
const served = new Map<string, Uint8Array>();
beforeAll(() => {
  for (const name of Object.values(MNIST_FILES)) {
    served.set(
      `${name}.gz`,
      new Uint8Array(gzipSync(readFileSync(join(MNIST_DATA_DIR, name)), { level: 1 })),
    );
  }
});

/** A fetch that serves the site's data/mnist/ folder and records every URL asked for. */
function site(root: string) {
  const requested: string[] = [];
  const fetch = (async (url: string) => {
    requested.push(url);
    const bytes = url.startsWith(`${root}data/mnist/`)
      ? served.get(url.slice(url.lastIndexOf('/') + 1))
      : undefined;
    return bytes ? streamedResponse(bytes) : new Response('missing', { status: 404 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requested };
}

withFreshIndexedDB();

describe('loadMnist', () => {
  it('downloads the four gzipped files from the site with progress, then serves later loads from the cache', async () => {
    const cache = await DatasetCache.open();
    const { fetch, requested } = site('http://host/kiln/');
    const progress: DownloadProgress[] = [];
    const first = await loadMnist({
      baseUrl: 'http://host/kiln/',
      cache,
      fetch,
      onProgress: (p) => progress.push(p),
    });

    expect(first.fromCache).toBe(false);
    expect(first.cacheError).toBeUndefined();
    expect(requested.sort()).toEqual(
      Object.values(MNIST_FILES)
        .map((n) => `http://host/kiln/data/mnist/${n}.gz`)
        .sort(),
    );
    expect(first.train).toMatchObject({ count: 60000, rows: 28, cols: 28, numClasses: 10 });
    expect(first.train.labels[0]).toBe(5);
    expect(first.test.labels[0]).toBe(7);

    const trainImages = progress.filter((p) => p.file === 'train-images-idx3-ubyte.gz');
    const size = served.get('train-images-idx3-ubyte.gz')?.length;
    expect(trainImages.length).toBeGreaterThan(10);
    expect(trainImages.every((p, i) => i === 0 || p.loadedBytes >= trainImages[i - 1].loadedBytes)).toBe(
      true,
    );
    expect(trainImages.at(-1)).toEqual({
      file: 'train-images-idx3-ubyte.gz',
      loadedBytes: size,
      totalBytes: size,
    });

    expect((await cache.list()).map((d) => [d.key, d.source])).toEqual([
      ['builtin/mnist-test', 'http://host/kiln/data/mnist/'],
      ['builtin/mnist-train', 'http://host/kiln/data/mnist/'],
    ]);
    const again = await loadMnist({ baseUrl: 'http://host/kiln/', cache, fetch });
    expect(again.fromCache).toBe(true);
    expect(requested.length).toBe(4);
    expect(again.test.labels).toEqual(first.test.labels);
    // Compared as buffers: a deep toEqual over 47 million elements takes minutes.
    expect(Buffer.from(again.train.images).equals(Buffer.from(first.train.images))).toBe(true);
    cache.close();
  });

  it("neither reads a user's dataset named like MNIST's nor trusts a cached MNIST of the wrong shape", async () => {
    const cache = await DatasetCache.open();
    const impostor = (name: string) => ({
      kind: 'image' as const,
      name,
      images: new Uint8Array(2 * 28 * 28),
      labels: Uint8Array.from([3, 12]),
      count: 2,
      rows: 28,
      cols: 28,
      channels: 1 as const,
      numClasses: 13,
    });
    // A user's files named mnist-train*.gz, stored the way the worker stores uploads...
    await cache.putAll([impostor('mnist-train'), impostor('mnist-test')], 'upload');
    // ...and a built-in entry damaged (or written by an older version).
    await cache.putAll([impostor('mnist-train'), impostor('mnist-test')], 'old', 'builtin');
    const { fetch, requested } = site('http://h/');
    const loaded = await loadMnist({ baseUrl: 'http://h/', cache, fetch });
    expect(loaded.fromCache).toBe(false);
    expect(requested.length).toBe(4);
    expect([loaded.train.count, loaded.test.count]).toEqual([60000, 10000]);
    expect((await cache.list()).map((d) => [d.key, d.count])).toEqual([
      ['builtin/mnist-test', 10000],
      ['builtin/mnist-train', 60000],
      ['user/mnist-test', 2],
      ['user/mnist-train', 2],
    ]);
    cache.close();
  });

  it('still returns the data when the cache is full, with the reason', async () => {
    const cache = await DatasetCache.open();
    const full = new QuotaError('mnist-train, mnist-test');
    vi.spyOn(cache, 'putAll').mockRejectedValue(full);
    const loaded = await loadMnist({ baseUrl: 'http://h/', cache, fetch: site('http://h/').fetch });
    expect(loaded.train.count).toBe(60000);
    expect(loaded.cacheError).toBe(full);
    cache.close();
  });

  it('resolves data/mnist/ against BASE_URL and the page location by default', async () => {
    vi.stubGlobal('location', { href: 'http://page.test/some/route?x=1' });
    const { fetch, requested } = site('http://page.test/');
    await loadMnist({ cache: false, fetch });
    expect(requested).toContain('http://page.test/data/mnist/t10k-labels-idx1-ubyte.gz');
  });

  it('explains a missing file and a missing site', async () => {
    const error = await loadMnist({
      baseUrl: 'http://h/other/',
      cache: false,
      fetch: site('http://h/').fetch,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toMatch(/could not be downloaded from http:\/\/h\/other\/data\/mnist\/.*HTTP 404/);
    expect(await loadMnist({ cache: false }).catch((e) => e.message)).toMatch(/pass baseUrl/);
  });
});

describe('mnistFromFiles', () => {
  it('refuses files that are not 28 x 28', async () => {
    const small = { bytes: makeIdx([1, 2, 2], [0, 0, 0, 0]), name: 'small' };
    const labels = { bytes: makeIdx([1], [3]), name: 'labels' };
    const error = await mnistFromFiles({
      trainImages: small,
      trainLabels: labels,
      testImages: small,
      testLabels: labels,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toBe("mnist-train: has 2 x 2 images; MNIST's are 28 x 28");
  });
});
