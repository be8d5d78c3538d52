/**
 * DataLoader with PyTorch's options (batchSize, shuffle with a seeded generator, dropLast). A
 * shuffled epoch draws a new order from the generator, so the same seed gives the same sequence of
 * orders. Datasets on a device take the fast path: the epoch's order is uploaded once and every
 * batch is gathered on the GPU; other datasets are collated on the host.
 */

import type { Backend } from '../tensor/backend';
import { getDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { Generator, type GeneratorState } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { type Dataset, type DeviceDataset, isDeviceDataset, type Sample, Subset } from './dataset';
import { isCollating } from './text';

/** DataLoader options, PyTorch's names. */
export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** The shuffling generator (default: seeded with 0). */
  generator?: Generator;
  /** Where host-collated batches go (default: the default backend). */
  backend?: Backend;
  /** Draws the indices instead of shuffle's permutation (PyTorch's sampler=). */
  sampler?: RandomSampler;
}

/**
 * torch.utils.data.RandomSampler(replacement=True, num_samples=N): each epoch, N indices drawn
 * uniformly with replacement, one after another from the loader's generator (so a longer draw from
 * the same state begins with the same indices). nanoGPT's get_batch, as a sampler: its random
 * window offsets for `numSamples / batch_size` steps.
 */
export class RandomSampler {
  readonly replacement = true;
  constructor(readonly numSamples: number) {
    if (!(Number.isInteger(numSamples) && numSamples > 0))
      throw new Error(`num_samples should be a positive integer, got ${numSamples}`);
  }

  /** One epoch's indices into a dataset of `n` samples. */
  draw(n: number, generator: Generator): Int32Array {
    return Int32Array.from({ length: this.numSamples }, () => generator.int(n));
  }
}

/** Where to resume an epoch: the generator's state before its order was drawn, and batches done. */
export interface LoaderPosition {
  generator: GeneratorState;
  batch: number;
}

/** Iterates a dataset in batches of [inputs, int32 labels]. A batch is valid until the next one is requested. */
export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  readonly sampler: RandomSampler | null;
  private readonly backend: Backend;
  private resumeAt: LoaderPosition | null = null;
  private epochStart: GeneratorState;
  private batchesDone = 0;

  constructor(
    readonly dataset: Dataset<unknown>,
    opts: DataLoaderOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 1;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0))
      throw new Error(`batch_size should be a positive integer, got ${this.batchSize}`);
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.sampler = opts.sampler ?? null;
    if (this.sampler && this.shuffle) throw new Error('sampler option is mutually exclusive with shuffle');
    this.generator = opts.generator ?? new Generator(0);
    this.backend = opts.backend ?? (isDeviceDataset(dataset) ? dataset.backend : getDefaultBackend());
    this.epochStart = this.generator.getState();
  }

  /** Batches per epoch. */
  get length(): number {
    const n = (this.sampler?.numSamples ?? this.dataset.length) / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** Where the current epoch stands, for a checkpoint. */
  position(): LoaderPosition {
    return { generator: this.epochStart, batch: this.batchesDone };
  }

  /** Makes the next epoch replay the order of a saved position and skip the batches already done. */
  resume(p: LoaderPosition): void {
    this.resumeAt = p;
  }

  /** This epoch's order of sample indices. */
  private order(): Int32Array {
    if (this.resumeAt) this.generator.setState(this.resumeAt.generator);
    this.epochStart = this.generator.getState();
    const n = this.dataset.length;
    if (this.sampler) return this.sampler.draw(n, this.generator);
    return this.shuffle ? this.generator.randperm(n) : Int32Array.from({ length: n }, (_, i) => i);
  }

  *[Symbol.iterator](): IterableIterator<[Tensor, Tensor]> {
    const order = this.order();
    const skip = this.resumeAt?.batch ?? 0;
    this.resumeAt = null;
    const device = deviceSource(this.dataset);
    const index = device
      ? ops.tensor(device.dataset.backend, device.map(order), [order.length], 'int32').keep()
      : null;
    let prev: Tensor[] = [];
    const release = () => {
      for (const t of prev) if (!t.isKept) t.dispose();
      prev = [];
    };
    let finished = false;
    try {
      for (let b = skip; b < this.length; b++) {
        release();
        const start = b * this.batchSize;
        const count = Math.min(this.batchSize, order.length - start);
        const batch =
          device && index
            ? device.dataset.gatherBatch(index, start, count)
            : this.collate(order.subarray(start, start + count));
        prev = batch;
        this.batchesDone = b + 1;
        yield batch;
      }
      finished = true;
    } finally {
      release();
      index?.dispose();
      // A finished epoch resumes at the next one; one left early resumes after the last batch
      // handed out (the trainer leaves only after training a batch).
      if (finished) {
        this.epochStart = this.generator.getState();
        this.batchesDone = 0;
      }
    }
  }

  /** The host path: getItem for each index, stacked into tensors. */
  private collate(indices: Int32Array): [Tensor, Tensor] {
    if (isCollating(this.dataset)) return this.dataset.collate(indices, this.backend);
    const items = Array.from(indices, (i) => this.dataset.getItem(i) as Sample);
    const size = items[0][0].length;
    const x = new Float32Array(items.length * size);
    items.forEach(([v], i) => {
      if (v.length !== size)
        throw new Error(`sample ${indices[i]} has ${v.length} values, the first had ${size}`);
      x.set(v, i * size);
    });
    const shape = isDeviceDataset(this.dataset) ? this.dataset.sampleShape : [size];
    return [
      ops.tensor(this.backend, x, [items.length, ...shape]),
      ops.tensor(
        this.backend,
        Int32Array.from(items, ([, y]) => y),
        [items.length],
        'int32',
      ),
    ];
  }
}

/** The device dataset under a dataset (through Subsets), with the map from its indices to the device's. */
function deviceSource(
  d: Dataset<unknown>,
): { dataset: DeviceDataset; map: (order: Int32Array) => Int32Array } | null {
  if (isDeviceDataset(d)) return { dataset: d, map: (o) => o };
  if (d instanceof Subset) {
    const inner = deviceSource(d.dataset);
    if (inner) return { dataset: inner.dataset, map: (o) => inner.map(o.map((i) => d.indices[i])) };
  }
  return null;
}
