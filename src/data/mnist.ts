import { QuotaError } from '../storage/indexeddb';
import { type CachedText, DatasetCache } from './cache';
import { type DownloadOptions, download } from './download';
import { DatasetError } from './errors';
import { idxDatasets } from './sources';
import type { ImageDataset, NamedBytes, RawDataset } from './types';

/**
 * MNIST: 60,000 training and 10,000 test digits, 28 x 28 greyscale, 10 classes. The page fetches
 * the four gzipped IDX files from its own origin (scripts/mnist-assets.ts puts them in the site as
 * data/mnist/<file>.gz), parses them and keeps them in the IndexedDB cache, so later loads make no
 * request. The CLI reads the same files from disk through ./node.
 */

/** The four MNIST files by role, under their canonical names (without .gz). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** A role in MNIST_FILES. */
export type MnistFile = keyof typeof MNIST_FILES;

/** The names MNIST's two datasets are cached under (in the cache's 'builtin' namespace). */
export const MNIST_NAMES = { train: 'mnist-train', test: 'mnist-test' } as const;

/** How many images MNIST's two sets hold. */
export const MNIST_COUNTS = { train: 60_000, test: 10_000 } as const;

/** MNIST's training and test sets. */
export interface MnistSplits {
  train: ImageDataset;
  test: ImageDataset;
}

/** Builds MNIST's two datasets from the four files' bytes (gzipped or not), checking they are MNIST-shaped. */
export async function mnistFromFiles(files: Record<MnistFile, NamedBytes>): Promise<MnistSplits> {
  const { train, test: maybeTest } = await idxDatasets(files, { name: 'mnist', numClasses: 10 });
  // The test pair was given, so idxDatasets built the test set.
  const test = maybeTest as ImageDataset;
  for (const ds of [train, test]) {
    if (ds.rows !== 28 || ds.cols !== 28) {
      throw new DatasetError(ds.name, `has ${ds.rows} x ${ds.cols} images; MNIST's are 28 x 28`);
    }
  }
  return { train, test };
}

/** Options for loading MNIST in the page or its worker. */
export interface LoadMnistOptions extends DownloadOptions {
  /**
   * Where the site is served from; the files are fetched from `<baseUrl>data/mnist/`. By default
   * Vite's BASE_URL resolved against the current page (or worker) location.
   */
  baseUrl?: string;
  /**
   * The cache to read and fill. By default the standard DatasetCache where IndexedDB exists;
   * `false` for none.
   */
  cache?: DatasetCache | false;
}

/** MNIST as loaded: where it came from, and why it was not cached if caching failed. */
export interface LoadedMnist extends MnistSplits {
  fromCache: boolean;
  /** Set when the download worked but storing it failed (a full quota): training can go on uncached. */
  cacheError?: QuotaError | DatasetError;
}

/**
 * Loads MNIST from the cache, or else downloads the four gzipped files from the site itself (with
 * progress per file), parses them and caches the pair in one atomic write. What the cache holds is
 * checked first: anything that is not MNIST's shape is discarded and downloaded again.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<LoadedMnist> {
  const ownCache = options.cache === undefined && globalThis.indexedDB !== undefined;
  const cache = ownCache ? await DatasetCache.open() : options.cache || undefined;
  try {
    if (cache) {
      const [train, test] = await Promise.all([
        cache.get(MNIST_NAMES.train, 'builtin'),
        cache.get(MNIST_NAMES.test, 'builtin'),
      ]);
      if (isMnist(train, MNIST_COUNTS.train) && isMnist(test, MNIST_COUNTS.test)) {
        return { train, test, fromCache: true };
      }
      if (train || test) {
        await Promise.all([
          cache.delete(MNIST_NAMES.train, 'builtin'),
          cache.delete(MNIST_NAMES.test, 'builtin'),
        ]);
      }
    }
    const dir = new URL('data/mnist/', options.baseUrl ?? defaultBaseUrl()).href;
    const entries = await Promise.all(
      (Object.keys(MNIST_FILES) as MnistFile[]).map(async (role) => {
        const name = `${MNIST_FILES[role]}.gz`;
        return [role, { name, bytes: await download(dir + name, name, options) }] as const;
      }),
    );
    const splits = await mnistFromFiles(Object.fromEntries(entries) as Record<MnistFile, NamedBytes>);
    if (!cache) return { ...splits, fromCache: false };
    try {
      await cache.putAll([splits.train, splits.test], dir, 'builtin');
      return { ...splits, fromCache: false };
    } catch (e) {
      if (!(e instanceof QuotaError || e instanceof DatasetError)) throw e;
      return { ...splits, fromCache: false, cacheError: e };
    }
  } finally {
    if (ownCache) cache?.close();
  }
}

/**
 * Whether a cached dataset is whole MNIST: `count` 28 x 28 single-channel images, one label each,
 * every label a digit. Anything else (a cache written by an older version, or damaged) is not trusted.
 */
function isMnist(ds: RawDataset | CachedText | undefined, count: number): ds is ImageDataset {
  if (ds?.kind !== 'image') return false;
  const shaped =
    ds.count === count &&
    ds.rows === 28 &&
    ds.cols === 28 &&
    ds.channels === 1 &&
    ds.numClasses === 10 &&
    ds.images instanceof Uint8Array &&
    ds.images.length === count * 28 * 28 &&
    ds.labels instanceof Uint8Array &&
    ds.labels.length === count;
  return shaped && ds.labels.every((l) => l < 10);
}

/**
 * The site's root URL: Vite's BASE_URL (absolute, e.g. /kiln/) against the page's or worker's
 * location; `dataset` names what could not be downloaded where there is no site.
 */
export function defaultBaseUrl(dataset = 'mnist'): string {
  const here = globalThis.location?.href;
  if (here === undefined) {
    throw new DatasetError(
      dataset,
      'has no site to download from here: pass baseUrl, or read the files from disk',
    );
  }
  return new URL(import.meta.env?.BASE_URL ?? '/', here).href;
}
