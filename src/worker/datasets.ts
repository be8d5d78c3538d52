/**
 * How the worker gets a dataset from where the page says it is (the app's own MNIST, files the user
 * picked, or those files' dataset cached on an earlier visit), keeps a user's dataset in this
 * browser's cache, and describes it back to the page.
 */
import { cachedFile, decode, isTextFile, loadBundledText, type TextData, textDataset } from 'kiln/data';
import {
  csvData,
  csvDataset,
  DatasetCache,
  DatasetError,
  type IdxFiles,
  idxDatasets,
  loadMnist,
  type NamedBytes,
  sampleShape,
} from 'kiln/datasets';
import type { LoadedData, SourceData } from 'kiln/train';
import { QuotaError } from '../storage/indexeddb';
import type { DatasetSource, FromWorker, MessageOf } from './protocol';

/** Characters of a text the data panel shows. */
const EXCERPT_CHARS = 600;

/** Loads `source`, reporting progress and cache trouble through `post`; returns the data and the page's description of them. */
export async function loadDatasetSource(
  source: DatasetSource,
  post: (msg: FromWorker) => void,
): Promise<{ loaded: SourceData; ready: MessageOf<FromWorker, 'datasetReady'> }> {
  const text = await loadText(source, post);
  if (text) return { loaded: text.text, ready: textReady(text.text, text.fromCache) };
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
  } else if (source.kind === 'cached') {
    loaded = await cachedDataset(source.name);
    fromCache = true;
  } else {
    loaded = await userDataset(source.name, source.files);
    // The data are loaded either way: a cache that cannot keep them costs only the next visit.
    const cache = await DatasetCache.open();
    try {
      const fileNames = source.files.map((f) => f.name).join(', ');
      await cache.putAll([loaded.train, ...(loaded.test ? [loaded.test] : [])], fileNames);
      // A test set kept from earlier files of the same name is not these files' test set.
      if (!loaded.test) await cache.delete(testName(loaded.name));
    } catch (e) {
      if (!(e instanceof QuotaError)) throw e;
      post({ type: 'error', kind: 'quota', message: e.message });
    } finally {
      cache.close();
    }
  }
  const { train, test } = loaded;
  const shown = Math.min(32, train.count);
  const ready: MessageOf<FromWorker, 'datasetReady'> = {
    type: 'datasetReady',
    name: loaded.name,
    trainSize: train.count,
    testSize: test?.count ?? 0,
    inputShape: sampleShape(train),
    numClasses: train.numClasses,
    fromCache,
    samples: [],
    ...(train.classes ? { classes: train.classes } : {}),
  };
  if (train.kind === 'image') {
    const n = train.rows * train.cols;
    ready.samples = Array.from({ length: shown }, (_, i) => ({
      pixels: train.images.slice(i * n, (i + 1) * n),
      label: train.labels[i],
    }));
  } else {
    const f = train.numFeatures;
    if (train.columns) ready.columns = train.columns;
    ready.rows = Array.from({ length: shown }, (_, i) => ({
      features: Array.from(train.features.subarray(i * f, (i + 1) * f)),
      label: train.labels[i],
    }));
  }
  return { loaded, ready };
}

/**
 * A text source loaded (the bundled text, a user's .txt, or one cached from an earlier visit), or
 * null when the source is not a text. Decoding and the vocabulary are made here in the worker, a
 * piece at a time (see data/text.ts), so a 100 MB file never stalls the page.
 */
async function loadText(
  source: DatasetSource,
  post: (msg: FromWorker) => void,
): Promise<{ text: TextData; fromCache: boolean } | null> {
  if (source.kind === 'builtin') {
    if (source.id !== 'jargon') return null;
    const loaded = await loadBundledText({
      onProgress: (p) =>
        post({
          type: 'datasetProgress',
          name: 'jargon',
          file: p.file,
          loadedBytes: p.loadedBytes,
          totalBytes: p.totalBytes ?? 0,
        }),
    });
    if (loaded.cacheError) post({ type: 'error', kind: 'quota', message: loaded.cacheError.message });
    return loaded;
  }
  if (source.kind === 'cached') {
    const cache = await DatasetCache.open();
    try {
      const cached = await cache.get(trainName(source.name));
      if (cached?.kind !== 'text') return null;
      return { text: (await textDataset(cachedFile(cached), source.name)).text, fromCache: true };
    } finally {
      cache.close();
    }
  }
  if (!(source.files.length === 1 && isTextFile(source.files[0].name))) return null;
  const { text, bytes } = await textDataset(source.files[0], source.name);
  const cache = await DatasetCache.open();
  try {
    await cache.putText(bytes, { ...text, name: trainName(source.name) }, source.files[0].name);
    await cache.delete(testName(source.name));
  } catch (e) {
    // The text is loaded either way: a cache that cannot keep it costs only the next visit.
    if (!(e instanceof QuotaError || e instanceof DatasetError)) throw e;
    post({ type: 'error', kind: 'quota', message: e.message });
  } finally {
    cache.close();
  }
  return { text, fromCache: false };
}

/** The page's description of a text: sizes in characters, its vocabulary and first lines. */
function textReady(text: TextData, fromCache: boolean): MessageOf<FromWorker, 'datasetReady'> {
  const excerpt = decode(text.train.subarray(0, EXCERPT_CHARS), text.vocab);
  return {
    type: 'datasetReady',
    name: text.name,
    trainSize: text.train.length,
    testSize: 0,
    inputShape: [],
    numClasses: [...text.vocab].length,
    fromCache,
    samples: [],
    text: { vocab: text.vocab, valSize: text.val.length, excerpt },
  };
}

/** The cache names of a user's dataset: `<name>-train` and, when it has one, `<name>-test`. */
const trainName = (name: string) => `${name}-train`;
const testName = (name: string) => `${name}-test`;

/** A dataset made from the user's files on an earlier visit, read back from this browser's cache. */
async function cachedDataset(name: string): Promise<LoadedData> {
  const cache = await DatasetCache.open();
  try {
    const [train, test] = await Promise.all([cache.get(trainName(name)), cache.get(testName(name))]);
    // A text is read by loadText; what is left here is images and tables.
    if (!train || train.kind === 'text' || test?.kind === 'text')
      throw new DatasetError(name, 'is no longer cached in this browser: add its files again');
    return { name, train, test };
  } finally {
    cache.close();
  }
}

/**
 * Builds a dataset from a user's files: an IDX pair (+ optional test pair), or one CSV, read as
 * images when its rows are pixels (MNIST as CSV) and as a table of features otherwise.
 */
async function userDataset(name: string, files: NamedBytes[]): Promise<LoadedData> {
  const base = (f: NamedBytes) => f.name.toLowerCase().replace(/\.gz$/, '');
  if (files.length === 1 && base(files[0]).endsWith('.csv')) {
    const table = await csvDataset(files[0], { name: trainName(name) });
    return { name, train: csvData(table) };
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
