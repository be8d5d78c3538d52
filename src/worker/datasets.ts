/**
 * How the worker gets a dataset from where the page says it is (the app's own MNIST, or files the
 * user picked), keeps a user's files in this browser's cache, and describes it back to the page.
 */
import { DatasetCache } from '../data/cache';
import { tabularToImages, whyNotImages } from '../data/csv';
import { DatasetError } from '../data/errors';
import { loadMnist } from '../data/mnist';
import { csvDataset, type IdxFiles, idxDatasets } from '../data/sources';
import type { NamedBytes } from '../data/types';
import { QuotaError } from '../storage/indexeddb';
import type { LoadedData } from '../train/data';
import type { DatasetSource, FromWorker, MessageOf } from './protocol';

/** Loads `source`, reporting progress and cache trouble through `post`; returns the data and the page's description of them. */
export async function loadDatasetSource(
  source: DatasetSource,
  post: (msg: FromWorker) => void,
): Promise<{ loaded: LoadedData; ready: MessageOf<FromWorker, 'datasetReady'> }> {
  let loaded: LoadedData;
  let fromCache = false;
  if (source.kind === 'builtin') {
    const m = await loadMnist({
      onProgress: (p) =>
        post({
          type: 'datasetProgress',
          name: 'mnist',
          file: p.file,
          loadedBytes: p.loadedBytes,
          totalBytes: p.totalBytes ?? 0,
        }),
    });
    fromCache = m.fromCache;
    if (m.cacheError) post({ type: 'error', kind: 'quota', message: m.cacheError.message });
    loaded = { name: 'mnist', train: m.train, test: m.test };
  } else {
    loaded = await userDataset(source.name, source.files);
    // The data are loaded either way: a cache that cannot keep them costs only the next visit.
    const cache = await DatasetCache.open();
    try {
      await cache.putAll([loaded.train, ...(loaded.test ? [loaded.test] : [])], 'upload');
    } catch (e) {
      if (!(e instanceof QuotaError)) throw e;
      post({ type: 'error', kind: 'quota', message: e.message });
    } finally {
      cache.close();
    }
  }
  const { train, test } = loaded;
  const n = train.rows * train.cols;
  const samples = Array.from({ length: Math.min(32, train.count) }, (_, i) => ({
    pixels: train.images.slice(i * n, (i + 1) * n),
    label: train.labels[i],
  }));
  const ready: MessageOf<FromWorker, 'datasetReady'> = {
    type: 'datasetReady',
    name: loaded.name,
    trainSize: train.count,
    testSize: test?.count ?? 0,
    inputShape: [train.channels, train.rows, train.cols],
    numClasses: train.numClasses,
    fromCache,
    samples,
  };
  return { loaded, ready };
}

/** Builds an image dataset from a user's files: an IDX pair (+ optional test pair) or one CSV. */
async function userDataset(name: string, files: NamedBytes[]): Promise<LoadedData> {
  const base = (f: NamedBytes) => f.name.toLowerCase().replace(/\.gz$/, '');
  if (files.length === 1 && base(files[0]).endsWith('.csv')) {
    const table = await csvDataset(files[0], { name });
    const why = whyNotImages(table);
    if (why) throw new DatasetError(files[0].name, why);
    const train = tabularToImages(table);
    return { name, train };
  }
  const find = (test: boolean, labels: boolean) =>
    files.find((f) => {
      const b = base(f);
      const isTest = /t10k|test/.test(b);
      const isLabels = /label|idx1/.test(b);
      return isTest === test && isLabels === labels;
    });
  const trainImages = find(false, false);
  const trainLabels = find(false, true);
  if (!trainImages || !trainLabels) {
    throw new DatasetError(
      files.map((f) => f.name).join(', '),
      'need a training images file and a training labels file (IDX, e.g. train-images-idx3-ubyte and train-labels-idx1-ubyte), or one CSV file',
    );
  }
  const idx: IdxFiles = {
    trainImages,
    trainLabels,
    testImages: find(true, false),
    testLabels: find(true, true),
  };
  const { train, test } = await idxDatasets(idx, { name });
  return { name, train, test };
}
