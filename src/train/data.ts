/**
 * The data a run trains and validates on, prepared once from a loaded dataset and the config the
 * same way in the CLI and the worker: a seeded validation split or the test set, the first `limit`
 * training samples; images normalised on the device with the config's mean and std or, where it
 * gives none, those of the training samples' pixels; tables standardised per feature with the
 * training samples' mean and std; and a fingerprint of the training samples, so a checkpoint
 * resumes on the data it trained on and no other.
 */
import { type Dataset, ImageDataset, Subset, TensorDataset } from '../data/dataset';
import { trainValidationSplit } from '../data/split';
import { blockSizeError, type TextData, type TextTarget, TextWindows, type Vocab } from '../data/text';
import { Compose, Normalize, ToTensor } from '../data/transforms';
import {
  type RawDataset,
  type ImageDataset as RawImages,
  sampleShape,
  type TabularDataset,
} from '../data/types';
import { type ModelSpec, textTarget } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { ConfigError, checkConfig, type TrainConfig } from './config';

/** A loaded dataset as the CLI and the page's worker hold it: in memory, not yet on a device. */
export interface LoadedData {
  /** Its name, as the user knows it ('mnist', 'fashion-mnist', a file's stem). */
  name: string;
  train: RawDataset;
  /** A held-out test set of the same kind and sample shape as `train`. */
  test?: RawDataset;
}

/** What a shell holds to train on: a loaded image or table dataset, or a text (its vocabulary and ids). */
export type SourceData = LoadedData | TextData;

/** Whether the data are a text. */
export function isText(data: SourceData): data is TextData {
  return 'vocab' in data;
}

/**
 * A run's data from what a shell holds, for a run of `spec` and `config`, the one way the CLI and
 * the worker both make it: a text for a model scoring every position trains on every position's
 * next character, one scoring a single [V] row on the character after its window (prepareText);
 * images and tables through prepareData.
 */
export function prepareRunData(
  backend: Backend,
  data: SourceData,
  config: TrainConfig,
  spec: ModelSpec,
): RunData {
  if (isText(data)) return prepareText(data, config, textTarget(spec));
  return prepareData(backend, data, config);
}

/** The training and validation sets of a run, on its backend. */
export interface RunData {
  /** The dataset's name. */
  name: string;
  train: Dataset<unknown>;
  val: Dataset<unknown>;
  numClasses: number;
  /** One sample's shape, e.g. [1, 28, 28], or [4] for a table of 4 features, or [T] for a window of text. */
  inputShape: number[];
  /** 'int32' for token ids (text); floats when absent. */
  inputDtype?: 'int32';
  /** A label per position ([T]: the next character at each) or one per sample ([]); one per sample when absent. */
  labelShape?: number[];
  /** A text's vocabulary (its characters in id order); absent for images and tables. */
  vocab?: Vocab;

  /** The Normalize(mean, std) its images get (given, or computed on the training split); null for tables. */
  normalization: Normalization | null;
  /** Of the training samples in order: equal fingerprints, equal data. */
  fingerprint: string;
  /** The bytes of the validation image at `position`, to show it; null for tables and data made on a device. */
  valPixels(position: number): Uint8Array | null;
  /** Frees the device copies (once; later calls do nothing). */
  dispose(): void;
}

/** torchvision's Normalize(mean, std) for one channel of pixels in [0, 1]. */
export interface Normalization {
  mean: number;
  std: number;
}

/**
 * Puts a loaded dataset on `backend` for a run of `config`: refuses a config that does not fit the
 * data (a validation split that leaves nothing, no set to validate on) before any upload.
 */
export function prepareData(backend: Backend, data: LoadedData, config: TrainConfig): RunData {
  checkConfig(config, { trainSize: data.train.count, hasTestSet: data.test !== undefined });
  const raw = data.train;
  // Equal shapes mean equal kinds too: images are [C, H, W], tables [features].
  if (data.test && sampleShape(data.test).join() !== sampleShape(raw).join())
    throw new Error(
      `the test set's samples are [${sampleShape(data.test)}], the training set's [${sampleShape(raw)}]`,
    );
  // Indices into data.train; null for the whole set in order (train) or the test set (val).
  let trainIndices: Int32Array | null = null;
  let valIndices: Int32Array | null = null;
  if (config.valSplit > 0) {
    const split = trainValidationSplit(raw.count, config.valSplit, config.seed);
    trainIndices = split.train;
    valIndices = split.validation;
  }
  const trainLength = trainIndices?.length ?? raw.count;
  if (config.limit !== null && config.limit < trainLength) {
    const n = config.limit;
    trainIndices = trainIndices ? trainIndices.subarray(0, n) : Int32Array.from({ length: n }, (_, i) => i);
  }
  const normalization = raw.kind === 'image' ? imageNormalization(raw, trainIndices, config) : null;
  const { train, test } =
    raw.kind === 'image' && normalization
      ? imageSets(backend, raw, data.test as RawImages | undefined, normalization)
      : tableSets(backend, raw as TabularDataset, data.test as TabularDataset | undefined, trainIndices);
  return {
    name: data.name,
    train: trainIndices ? new Subset(train, trainIndices) : train,
    val: valIndices ? new Subset(train, valIndices) : (test as Dataset),
    numClasses: raw.numClasses,
    inputShape: sampleShape(raw),
    normalization,
    fingerprint: fingerprint(raw, trainIndices),
    valPixels(position) {
      const source = valIndices ? raw : data.test;
      if (source?.kind !== 'image') return null;
      const size = source.rows * source.cols * source.channels;
      const i = valIndices ? valIndices[position] : position;
      return source.images.slice(i * size, (i + 1) * size);
    },
    dispose: once(() => {
      train.dispose();
      test?.dispose();
    }),
  };
}

/** Byte images on the device, normalised there as batches are gathered. */
function imageSets(
  backend: Backend,
  train: RawImages,
  test: RawImages | undefined,
  { mean, std }: Normalization,
): { train: ImageDataset; test?: ImageDataset } {
  const transform = new Compose([new ToTensor(), new Normalize([mean], [std])]);
  return {
    train: new ImageDataset(backend, train, transform),
    test: test && new ImageDataset(backend, test, transform),
  };
}

/**
 * A table on the device, every feature standardised with the mean and std of the samples the run
 * trains on (`trainIndices`, else all), as scikit-learn's StandardScaler fitted on the training
 * split: validation and test rows are scaled with the same figures and never inform them.
 */
function tableSets(
  backend: Backend,
  train: TabularDataset,
  test: TabularDataset | undefined,
  trainIndices: Int32Array | null,
): { train: TensorDataset; test?: TensorDataset } {
  const { mean, std } = featureStats(train, trainIndices);
  const onDevice = (t: TabularDataset) => {
    const features = t.features.map((v, i) => (v - mean[i % t.numFeatures]) / std[i % t.numFeatures]);
    const labels = t.labels;
    return new TensorDataset(
      ops.tensor(backend, features, [t.count, t.numFeatures]),
      ops.tensor(backend, labels, [t.count], 'int32'),
      train.numClasses,
      { features, labels },
    );
  };
  return { train: onDevice(train), test: test && onDevice(test) };
}

/**
 * Each feature's mean and (population) standard deviation over the rows `indices` (else all); a
 * feature constant there gets std 1, so it scales to 0 rather than to NaN.
 */
export function featureStats(
  t: TabularDataset,
  indices: Int32Array | null,
): { mean: Float64Array; std: Float64Array } {
  const f = t.numFeatures;
  const rows = indices ?? Int32Array.from({ length: t.count }, (_, i) => i);
  const mean = new Float64Array(f);
  const std = new Float64Array(f);
  for (const r of rows) for (let j = 0; j < f; j++) mean[j] += t.features[r * f + j];
  for (let j = 0; j < f; j++) mean[j] /= rows.length;
  for (const r of rows) for (let j = 0; j < f; j++) std[j] += (t.features[r * f + j] - mean[j]) ** 2;
  for (let j = 0; j < f; j++) std[j] = Math.sqrt(std[j] / rows.length) || 1;
  return { mean, std };
}

/** The config's mean and std, each computed on the training images `indices` where it gives none. */
function imageNormalization(raw: RawImages, indices: Int32Array | null, config: TrainConfig): Normalization {
  if (config.mean !== null && config.std !== null) return { mean: config.mean, std: config.std };
  const computed = pixelStats(raw, indices);
  return { mean: config.mean ?? computed.mean, std: config.std ?? computed.std };
}

/**
 * The mean and (population) standard deviation of the pixels, in [0, 1], of the images `indices`
 * (else all): what torchvision users compute once for Normalize, here on the run's own training
 * split. Counted per byte value, so it is exact (float64 over at most 256 terms) and fast; images
 * of one shade get std 1, as featureStats gives a constant feature.
 */
export function pixelStats(images: RawImages, indices: Int32Array | null): Normalization {
  const size = images.rows * images.cols * images.channels;
  const counts = new Float64Array(256);
  const count = (from: number) => {
    for (let i = from; i < from + size; i++) counts[images.images[i]]++;
  };
  if (indices) for (const r of indices) count(r * size);
  else for (let r = 0; r < images.count; r++) count(r * size);
  let n = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    n += counts[v];
    sum += (counts[v] * v) / 255;
  }
  const mean = sum / n;
  let squares = 0;
  for (let v = 0; v < 256; v++) squares += counts[v] * (v / 255 - mean) ** 2;
  return { mean, std: Math.sqrt(squares / n) || 1 };
}

/** The fingerprint of the training samples `indices` of `raw` (else all of them, in order). */
function fingerprint(raw: RawDataset, indices: Int32Array | null): string {
  const shape = sampleShape(raw);
  const size = shape.reduce((a, b) => a * b, 1);
  const samples = raw.kind === 'image' ? raw.images : raw.features;
  const fp = new Fingerprint();
  fp.add(Int32Array.of(...shape, indices?.length ?? raw.count));
  if (indices) {
    for (const i of indices) {
      fp.add(samples.subarray(i * size, (i + 1) * size));
      fp.add(raw.labels.subarray(i, i + 1));
    }
  } else {
    fp.add(samples);
    fp.add(raw.labels);
  }
  return fp.digest();
}

/**
 * A text's windows for a run of `config`: training windows of config.blockSize at every offset of
 * the first 90% (the run's sampler draws them), validation windows of the last 10% cut consecutively
 * (a model predicting at every position) or at every offset (one predicting after the window only),
 * so an evaluation predicts each validation character once. A block size that leaves either part
 * without a window is refused, under the blockSize setting, before anything is made.
 */
export function prepareText(text: TextData, config: TrainConfig, target: TextTarget): RunData {
  checkConfig(config);
  const T = config.blockSize;
  const tooLong = blockSizeError(text, T);
  if (tooLong) throw new ConfigError([{ field: 'blockSize', message: tooLong }]);
  const fp = new Fingerprint();
  fp.add(new TextEncoder().encode(text.vocab));
  fp.add(text.train);
  return {
    name: text.name,
    train: new TextWindows(text.train, T, target),
    val: new TextWindows(text.val, T, target, target === 'every' ? T : 1),
    numClasses: [...text.vocab].length,
    inputShape: [T],
    inputDtype: 'int32',
    labelShape: target === 'every' ? [T] : [],
    vocab: text.vocab,
    normalization: null,
    fingerprint: fp.digest(),
    valPixels: () => null,
    // The ids stay on the host; each batch's few kilobytes are uploaded as it is cut.
    dispose: () => {},
  };
}

/**
 * Already-made device datasets (synthetic data, tests) as a run's data; `identity` says what makes
 * them (a generator's settings), in place of their bytes.
 */
export function tensorData(
  name: string,
  train: TensorDataset,
  val: TensorDataset,
  identity: string,
): RunData {
  const fp = new Fingerprint();
  fp.add(new TextEncoder().encode(identity));
  return {
    name,
    train,
    val,
    numClasses: train.numClasses,
    inputShape: train.sampleShape,
    normalization: null,
    fingerprint: fp.digest(),
    valPixels: () => null,
    dispose: once(() => {
      train.dispose();
      val.dispose();
    }),
  };
}

/** `f` the first time it is called, nothing after. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) f();
    done = true;
  };
}

/**
 * Two independent 32-bit FNV-1a streams over the bytes (64 bits in all): not cryptographic, only a
 * guard against resuming on other data by mistake; about 60,000 MNIST images a tenth of a second.
 */
class Fingerprint {
  private a = 0x811c9dc5;
  private b = 0x050c5d1f;

  add(view: ArrayBufferView): void {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    let { a, b } = this;
    for (let i = 0; i < bytes.length; i++) {
      a = Math.imul(a ^ bytes[i], 0x01000193);
      b = Math.imul(b ^ bytes[i], 0x01000193) ^ (b >>> 15);
    }
    this.a = a;
    this.b = b;
  }

  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
