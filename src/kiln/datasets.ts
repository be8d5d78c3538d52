/**
 * `kiln/datasets`: dataset files as plain arrays (`torchvision.datasets`): IDX and CSV parsers,
 * MNIST, gzip, and the browser's dataset cache (IndexedDB). Loads no tensor code.
 *
 * @module kiln/datasets
 */

export { BUNDLED_TEXT } from '../data/bundled_source';
export type { CachedText, DatasetNamespace } from '../data/cache';
export { type CachedDatasetInfo, DatasetCache, type StorageEstimate } from '../data/cache';
export type { CsvOptions } from '../data/csv';
export { csvData, parseCsv } from '../data/csv';
export { DatasetError } from '../data/errors';
export type { DeclaredSize } from '../data/gzip';
export { gunzip, gzip, isGzip, MAX_INFLATED_BYTES } from '../data/gzip';
export type { IdxArray, ImageDatasetOptions } from '../data/idx';
export { imageDatasetFromIdx, parseIdx } from '../data/idx';
export type { LoadMnistOptions, MnistFile } from '../data/mnist';
export {
  type LoadedMnist,
  loadMnist,
  MNIST_FILES,
  MNIST_NAMES,
  type MnistSplits,
  mnistFromFiles,
} from '../data/mnist';
export type { IdxDatasetOptions } from '../data/sources';
export { csvDataset, type IdxFiles, idxDatasets } from '../data/sources';
export {
  type DatasetSplits,
  type ImageDataset as RawImageDataset,
  MAX_CLASS_NAME,
  type NamedBytes,
  type RawDataset,
  sampleShape,
  type TabularDataset,
} from '../data/types';
