/**
 * Datasets with PyTorch's shape: `length` and `getItem(i)`. Datasets that live on a device also
 * gather whole batches there (`DeviceDataset`), which is the DataLoader's fast path: the raw bytes
 * stay resident on the GPU and each batch is gathered and normalised by one kernel.
 */
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { Generator } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { byteNormalization, type Transform } from './transforms';
import type { ImageDataset as RawImages } from './types';

/** A sample: input values and a class label. */
export type Sample = [Float32Array, number];

/** PyTorch's map-style Dataset. */
export interface Dataset<T = Sample> {
  readonly length: number;
  getItem(i: number): T;
}

/** A dataset that can gather a batch on its backend from an index tensor (no host round trip). */
export interface DeviceDataset extends Dataset {
  readonly backend: Backend;
  /** Shape of one input sample, e.g. [1, 28, 28]. */
  readonly sampleShape: number[];
  readonly numClasses: number;
  /** Inputs [count, ...sampleShape] and int32 labels [count] for index[offset .. offset+count). */
  gatherBatch(index: Tensor, offset: number, count: number): [Tensor, Tensor];
}

/** Whether a dataset has the device fast path. */
export function isDeviceDataset(d: Dataset<unknown>): d is DeviceDataset {
  return typeof (d as DeviceDataset).gatherBatch === 'function';
}

/** Inputs and labels held as tensors, like torch.utils.data.TensorDataset (labels int32). */
export class TensorDataset implements DeviceDataset {
  readonly backend: Backend;
  readonly sampleShape: number[];

  constructor(
    readonly features: Tensor,
    readonly labels: Tensor,
    readonly numClasses: number,
    private readonly host?: { features: Float32Array; labels: Int32Array },
  ) {
    if (labels.dtype !== 'int32' || labels.shape[0] !== features.shape[0]) {
      throw new Error(
        `TensorDataset: ${features.shape[0]} inputs but labels of shape [${labels.shape}] (${labels.dtype})`,
      );
    }
    this.backend = features.backend;
    this.sampleShape = features.shape.slice(1);
    features.keep();
    labels.keep();
  }

  get length(): number {
    return this.features.shape[0];
  }

  getItem(i: number): Sample {
    if (!this.host)
      throw new Error('TensorDataset.getItem needs the host copy; iterate it with a DataLoader');
    const n = this.sampleShape.reduce((a, b) => a * b, 1);
    return [this.host.features.slice(i * n, (i + 1) * n), this.host.labels[i]];
  }

  gatherBatch(index: Tensor, offset: number, count: number): [Tensor, Tensor] {
    return [
      ops.gatherRows(this.features, index, offset, count),
      ops.gatherRows(this.labels, index, offset, count),
    ];
  }

  /** Frees the tensors. */
  dispose(): void {
    this.features.dispose();
    this.labels.dispose();
  }
}

/** Options of the guide's synthetic dataset. */
export interface SyntheticOptions {
  numSamples?: number;
  inputFeatures?: number;
  numClasses?: number;
  seed?: number;
}

/** The guide's SyntheticDataset: standard-normal features and uniform integer targets, seeded. */
export class SyntheticDataset extends TensorDataset {
  constructor(backend: Backend, opts: SyntheticOptions = {}) {
    const { numSamples = 1000, inputFeatures = 20, numClasses = 2, seed = 0 } = opts;
    const g = new Generator(seed);
    const features = Float32Array.from({ length: numSamples * inputFeatures }, () => g.normal());
    const labels = Int32Array.from({ length: numSamples }, () => g.int(numClasses));
    super(
      ops.tensor(backend, features, [numSamples, inputFeatures]),
      ops.tensor(backend, labels, [numSamples], 'int32'),
      numClasses,
      { features, labels },
    );
  }
}

/**
 * Byte images (MNIST and its kin) resident on a backend as raw bytes, 4x smaller than floats;
 * batches are gathered and transformed on the device. Like torchvision.datasets.MNIST(transform=...).
 */
export class ImageDataset implements DeviceDataset {
  readonly sampleShape: number[];
  readonly numClasses: number;
  private readonly images: Tensor;
  private readonly labels: Tensor;
  private readonly norm: { mean: number; std: number };

  constructor(
    readonly backend: Backend,
    readonly raw: RawImages,
    readonly transform?: Transform,
  ) {
    const norm = byteNormalization(transform);
    if (!norm)
      throw new Error(
        'ImageDataset transforms must be ToTensor() optionally followed by Normalize(mean, std)',
      );
    this.norm = norm;
    this.sampleShape = [raw.channels, raw.rows, raw.cols];
    this.numClasses = raw.numClasses;
    this.images = ops.bytes(backend, raw.images).keep();
    this.labels = ops.bytes(backend, raw.labels).keep();
  }

  get length(): number {
    return this.raw.count;
  }

  getItem(i: number): Sample {
    const n = this.raw.rows * this.raw.cols * this.raw.channels;
    const x = Float32Array.from(this.raw.images.subarray(i * n, (i + 1) * n));
    return [this.transform ? this.transform.apply(x) : x, this.raw.labels[i]];
  }

  gatherBatch(index: Tensor, offset: number, count: number): [Tensor, Tensor] {
    const { mean, std } = this.norm;
    return ops.gatherBatch(this.images, this.labels, index, offset, count, this.sampleShape, mean, std);
  }

  /** Frees the device copy. */
  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
  }
}

/** A view of some of a dataset's samples, like torch.utils.data.Subset. */
export class Subset<D extends Dataset = Dataset> implements Dataset {
  constructor(
    readonly dataset: D,
    readonly indices: Int32Array,
  ) {}

  get length(): number {
    return this.indices.length;
  }

  getItem(i: number): Sample {
    return this.dataset.getItem(this.indices[i]) as Sample;
  }
}
