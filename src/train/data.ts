/**
 * The data a run trains and validates on, prepared once from a loaded dataset and the config the
 * same way in the CLI and the worker: normalised on the device, a seeded validation split or the
 * test set, the first `limit` training samples; and a fingerprint of the training samples, so a
 * checkpoint resumes on the data it trained on and no other.
 */
import { type Dataset, ImageDataset, Subset, type TensorDataset } from '../data/dataset';
import { trainValidationSplit } from '../data/split';
import { Compose, Normalize, ToTensor } from '../data/transforms';
import type { ImageDataset as RawImages } from '../data/types';
import type { Backend } from '../tensor/backend';
import { checkConfig, type TrainConfig } from './config';

/** A loaded dataset as the CLI and the page's worker hold it: bytes in memory, not yet on a device. */
export interface LoadedData {
  /** Its name, as the user knows it ('mnist', 'fashion-mnist', a file's stem). */
  name: string;
  train: RawImages;
  test?: RawImages;
}

/** The training and validation sets of a run, on its backend. */
export interface RunData {
  /** The dataset's name. */
  name: string;
  train: Dataset;
  val: Dataset;
  numClasses: number;
  /** One sample's shape, e.g. [1, 28, 28]. */
  inputShape: number[];
  /** Of the training samples in order: equal fingerprints, equal data. */
  fingerprint: string;
  /** The bytes of the validation sample at `position`, to show it; null for data made on a device. */
  valPixels(position: number): Uint8Array | null;
  /** Frees the device copies (once; later calls do nothing). */
  dispose(): void;
}

/**
 * Puts a loaded dataset on `backend` for a run of `config`: refuses a config that does not fit the
 * data (a validation split that leaves nothing, no set to validate on) before any upload.
 */
export function prepareData(backend: Backend, data: LoadedData, config: TrainConfig): RunData {
  checkConfig(config, { trainSize: data.train.count, hasTestSet: data.test !== undefined });
  const transform = new Compose([new ToTensor(), new Normalize([config.mean], [config.std])]);
  const train = new ImageDataset(backend, data.train, transform);
  let trainSet: Dataset = train;
  let val: Dataset;
  let test: ImageDataset | null = null;
  let trainIndices: Int32Array | null = null;
  let valIndices: Int32Array | null = null;
  if (config.valSplit > 0) {
    const split = trainValidationSplit(train.length, config.valSplit, config.seed);
    trainIndices = split.train;
    valIndices = split.validation;
    trainSet = new Subset(train, split.train);
    val = new Subset(train, split.validation);
  } else {
    test = new ImageDataset(backend, data.test as RawImages, transform);
    val = test;
  }
  if (config.limit !== null && config.limit < trainSet.length) {
    const n = config.limit;
    trainIndices = trainIndices ? trainIndices.subarray(0, n) : Int32Array.from({ length: n }, (_, i) => i);
    trainSet = new Subset(train, trainIndices);
  }
  const raw = data.train;
  const size = raw.rows * raw.cols * raw.channels;
  const fp = new Fingerprint();
  fp.add(Int32Array.of(raw.channels, raw.rows, raw.cols, trainSet.length));
  if (trainIndices) {
    for (const i of trainIndices) {
      fp.add(raw.images.subarray(i * size, (i + 1) * size));
      fp.add(raw.labels.subarray(i, i + 1));
    }
  } else {
    fp.add(raw.images);
    fp.add(raw.labels);
  }
  return {
    name: data.name,
    train: trainSet,
    val,
    numClasses: raw.numClasses,
    inputShape: [raw.channels, raw.rows, raw.cols],
    fingerprint: fp.digest(),
    valPixels(position) {
      const source = valIndices ? raw : (data.test as RawImages);
      const i = valIndices ? valIndices[position] : position;
      return source.images.slice(i * size, (i + 1) * size);
    },
    dispose: once(() => {
      train.dispose();
      test?.dispose();
    }),
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
