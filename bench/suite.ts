/** The benchmark workloads, each written the way its library's users write it. */

import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type Backend, F, Generator, manualSeed, ops, setDefaultBackend, tidy, WebGPUBackend } from 'kiln';
import { DEFAULT_CONFIG } from 'kiln/config';
import { Compose, DataLoader, ImageDataset, Normalize, Subset, ToTensor } from 'kiln/data';
import type { RawImageDataset as RawImages } from 'kiln/datasets';
import type { Gpu, KernelTime } from 'kiln/gpu';
import { buildModel, CrossEntropyLoss, Parameter } from 'kiln/nn';
import { Adam } from 'kiln/optim';
import { PRESETS } from 'kiln/spec';
import { Trainer } from 'kiln/train';
import { benchKilnGpt } from './gpt';
import { countLaunches } from './launches';

/** The matmul shapes benchmarked unless told otherwise: MNIST's two layers, then two squares. */
export const DEFAULT_MATMUL = '64x784x128,64x128x10,256,1024';

/**
 * Matmul shapes as a user writes them, separated by commas: "MxKxN", or N for a square; null when
 * one is not whole numbers >= 1. Empty text asks for none.
 */
export function matmulShapes(text: string): [number, number, number][] | null {
  if (text === '') return [];
  const shapes = text.split(',').map((shape) => {
    const dims = /^\d+(x\d+x\d+)?$/.test(shape) ? shape.split('x').map(Number) : [];
    return dims.length === 1 ? [dims[0], dims[0], dims[0]] : dims;
  });
  return shapes.every((d) => d.length === 3 && d.every((x) => Number.isSafeInteger(x) && x >= 1))
    ? (shapes as [number, number, number][])
    : null;
}

/** One benchmark figure for each library. */
export interface BenchRow {
  name: string;
  /**
   * The backend Kiln's figure comes from: 'webgpu' (the adapter's, the suite's own rows) unless a
   * row says otherwise (a Kiln-on-WASM row, say), shown as a column of the table.
   */
  backend?: string;
  kiln: number;
  tfjs: number | null;
  higherIsBetter: boolean;
  /** A figure the row is read with, where it has no TF.js counterpart (an overhead). */
  note?: string;
  /**
   * PyTorch CPU eager's figure on all cores, where the row has one (Node only: the GPT's and the
   * image models'); null when torch is missing.
   */
  torch?: number | null;
  /** PyTorch CPU eager on one thread, where the row has it. */
  torchOneThread?: number | null;
  /** Kernel launches one training step takes, where the row counts them. */
  launches?: number;
}

/** MNIST's first `count` training images (SimpleNN), and the first `cnnCount` for LeNet-5 and the CNN. */
export interface BenchData {
  raw: RawImages;
  count: number;
  cnnCount: number;
}

/** What to run: epochs of training, matmul shapes [M, K, N], TF.js or not. */
export interface SuiteOptions {
  epochs: number;
  matmul: [number, number, number][];
  tfjs: boolean;
  profile: boolean;
  /** The GPT row's steps per timed round; 0 leaves the row out. */
  gptSteps: number;
  /**
   * PyTorch CPU eager's samples/s on an image model (all cores, one thread), or null when torch is
   * missing; run right after that model's Kiln and TF.js figures, so that the three are measured
   * seconds apart on a machine whose load drifts (Node only: the browser has no torch).
   */
  torch?: (model: BenchModel, count: number) => { allCores: number; oneThread: number } | null;
}

/** The row's PyTorch figures, where the suite was given a way to run torch. */
function torchFigures(opts: SuiteOptions, model: BenchModel, count: number): Partial<BenchRow> {
  if (!opts.torch) return {};
  const t = opts.torch(model, count);
  return { torch: t?.allCores ?? null, torchOneThread: t?.oneThread ?? null };
}

/** The suite's results: one row per workload, and per-kernel profiles of each model when asked for. */
export interface SuiteResult {
  rows: BenchRow[];
  profiles: { model: string; kernels: KernelTime[] }[];
}

/** Runs the whole suite on one device (Node's Dawn or the browser's), Kiln then TF.js per row. */
export async function runSuite(gpu: Gpu, data: BenchData, opts: SuiteOptions): Promise<SuiteResult> {
  const tf = opts.tfjs ? await tfjsSetup() : null;
  const profiles: SuiteResult['profiles'] = [];
  const { samplesPerSec, hostMicros, profile, launches } = await benchKilnTraining(
    backendOn(gpu),
    data.raw,
    data.count,
    'simplenn',
    opts.epochs,
    opts.profile,
  );
  if (profile) profiles.push({ model: 'SimpleNN', kernels: profile });
  const histograms = await benchHistogramOverhead(backendOn(gpu), data.raw, data.count, opts.epochs);
  const rows: BenchRow[] = [
    {
      name: `SimpleNN train, ${data.count} samples, batch 64 (samples/s)`,
      kiln: samplesPerSec,
      tfjs: tf ? await benchTfjsTraining(tf, 'webgpu', data.raw, data.count, 'simplenn', opts.epochs) : null,
      higherIsBetter: true,
      ...torchFigures(opts, 'simplenn', data.count),
      launches,
    },
    {
      // The same training, counting every parameter's histograms: the cost of --histograms-every.
      name: `SimpleNN train, histograms every ${HISTOGRAMS_EVERY} steps (samples/s)`,
      kiln: histograms.withHistograms,
      tfjs: null,
      higherIsBetter: true,
      note: overhead(histograms.plain, histograms.withHistograms),
    },
    {
      // What the CPU spends per step whatever the GPU: on a fast GPU, it bounds the epoch.
      name: 'SimpleNN host time to record and submit a step (us)',
      kiln: hostMicros,
      tfjs: null,
      higherIsBetter: false,
    },
  ];
  for (const preset of data.cnnCount > 0 ? (['lenet', 'cnn'] as const) : []) {
    const r = await benchKilnTraining(
      backendOn(gpu),
      data.raw,
      data.cnnCount,
      preset,
      opts.epochs,
      opts.profile,
    );
    if (r.profile) profiles.push({ model: MODEL_NAMES[preset], kernels: r.profile });
    rows.push({
      name: `${MODEL_NAMES[preset]} train, ${data.cnnCount} samples, batch 64 (samples/s)`,
      kiln: r.samplesPerSec,
      tfjs: tf ? await benchTfjsTraining(tf, 'webgpu', data.raw, data.cnnCount, preset, opts.epochs) : null,
      higherIsBetter: true,
      ...torchFigures(opts, preset, data.cnnCount),
      launches: r.launches,
    });
  }
  if (opts.gptSteps > 0) {
    const gpt = await benchKilnGpt(backendOn(gpu), opts.gptSteps);
    rows.push({
      name: GPT_ROW,
      kiln: gpt.tokensPerSec,
      tfjs: null,
      higherIsBetter: true,
      launches: gpt.launches,
      note: 'TF.js: not run, tfjs-layers has no causal self-attention layer',
    });
  }
  for (const c of CONV_SHAPES) {
    rows.push({
      name: `conv2d ${c.cin}->${c.cout} 3x3 on ${c.size}x${c.size}, batch 64, fwd+bwd (images/s)`,
      kiln: await benchKilnConv(gpu, c),
      tfjs: tf ? await benchTfjsConv(tf, c) : null,
      higherIsBetter: true,
    });
  }
  for (const [m, k, n] of opts.matmul) {
    rows.push({
      name: `matmul ${m}x${k} @ ${k}x${n} (GFLOP/s)`,
      kiln: await benchKilnMatmul(gpu, m, k, n),
      tfjs: tf ? await benchTfjsMatmul(tf, m, k, n) : null,
      higherIsBetter: true,
    });
  }
  return { rows, profiles };
}

/** The GPT row's name: the preset at bench/gpt.ts's GPT_BENCH sizes. */
export const GPT_ROW = 'GPT train, 4 layers x 128 wide, block 64, batch 16 (tokens/s)';

/** The histogram interval whose overhead the suite reports (issue 17's goal: under 5%). */
const HISTOGRAMS_EVERY = 50;

/** The trained models: the guide's SimpleNN, LeNet-5 and the playground's CNN preset (PRESETS). */
export type BenchModel = 'simplenn' | 'lenet' | 'cnn';

/** The models' names in the table and the profiles. */
export const MODEL_NAMES: Record<BenchModel, string> = {
  simplenn: 'SimpleNN',
  lenet: 'LeNet-5',
  cnn: 'CNN with BatchNorm',
};

/** What the histograms cost, as the share of samples/s lost against the plain run (faster is noise). */
export function overhead(plain: number, withHistograms: number): string {
  const lost = (100 * (plain - withHistograms)) / plain;
  const share = Math.abs(lost).toFixed(1);
  return lost >= 0 ? `${share}% slower than without` : `${share}% faster than without: noise`;
}

/** A fresh Kiln backend on the suite's device. */
function backendOn(gpu: Gpu): WebGPUBackend {
  return new WebGPUBackend(gpu.device, { subgroups: gpu.subgroups });
}

/**
 * Samples per second of Kiln training a preset on the first `count` images with the trainer the
 * CLI uses (best epoch of `epochs`), the host time per step, and the kernel launches per step (a
 * timed epoch's count over its steps: the loss's accumulation and reads and the optimizer's
 * included).
 */
export async function benchKilnTraining(
  backend: WebGPUBackend,
  raw: RawImages,
  count: number,
  preset: BenchModel,
  epochs: number,
  profile = false,
): Promise<{ samplesPerSec: number; hostMicros: number; profile: KernelTime[] | null; launches: number }> {
  const { trainer, dispose } = benchTrainer(backend, raw, count, preset);
  let best = 0;
  let hostMicros = Number.POSITIVE_INFINITY;
  let launches = 0;
  // The first epoch also compiles every pipeline; count the best of the rest when there are any.
  for (let e = 0; e < Math.max(2, epochs); e++) {
    const counted = countLaunches(backend);
    let epochLaunches: number;
    let r: Awaited<ReturnType<typeof trainer.trainEpoch>>;
    try {
      r = await trainer.trainEpoch();
      await backend.sync();
    } finally {
      epochLaunches = counted.stop();
    }
    if (e > 0 || epochs === 1) {
      best = Math.max(best, r.samples / r.seconds);
      launches = epochLaunches / r.steps;
      if (r.steps > 1) hostMicros = Math.min(hostMicros, (1e6 * r.hostSeconds) / (r.steps - 1));
    }
  }
  let kernels: KernelTime[] | null = null;
  if (profile) {
    // A separate, timed epoch: per-dispatch passes slow it, so it is not counted above.
    backend.startProfiling();
    await trainer.trainEpoch();
    kernels = await backend.profile();
  }
  dispose();
  return { samplesPerSec: best, hostMicros, profile: kernels, launches };
}

/** A preset's model, Adam and a shuffled loader over the first `count` samples, as the guide trains. */
export function benchTrainer(backend: Backend, raw: RawImages, count: number, preset: BenchModel | 'lenet') {
  setDefaultBackend(backend);
  manualSeed(0);
  const model = buildModel(PRESETS[preset]);
  const dataset = new ImageDataset(
    backend,
    raw,
    new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]),
  );
  const subset = new Subset(
    dataset,
    Int32Array.from({ length: count }, (_, i) => i),
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
  return { trainer, dispose: () => dataset.dispose() };
}

/**
 * What counting histograms every HISTOGRAMS_EVERY steps costs SimpleNN: one model and loader train
 * epochs with the probe off and on in turn (off, on, off, on, ...), after a warm-up epoch of each,
 * and the medians of each kind's samples/s are compared. Alternating in one trainer cancels the
 * drift of a busy machine and the first epoch's compiling, which two separate runs do not.
 */
export async function benchHistogramOverhead(
  backend: WebGPUBackend,
  raw: RawImages,
  count: number,
  rounds: number,
): Promise<{ plain: number; withHistograms: number }> {
  const { trainer, dispose } = benchTrainer(backend, raw, count, 'simplenn');
  const probe = { every: HISTOGRAMS_EVERY, onRead: () => {} };
  const rates: [number[], number[]] = [[], []];
  for (let i = 0; i < 2 * (Math.max(3, rounds) + 1); i++) {
    const on = i % 2;
    trainer.histograms = on ? probe : undefined;
    const r = await trainer.trainEpoch();
    await backend.sync();
    if (i >= 2) rates[on].push(r.samples / r.seconds);
  }
  dispose();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return { plain: median(rates[0]), withHistograms: median(rates[1]) };
}

/** The tfjs namespace, once a backend is ready (WebGPU on Dawn, or WASM: bench/tfjs-wasm.ts). */
export type Tfjs = typeof tfc;

/** TF.js on its WebGPU backend, over `navigator.gpu` (in Node, Dawn's: the adapter Kiln uses). */
async function tfjsSetup(): Promise<Tfjs> {
  // The backend registers itself on import only where navigator.gpu exists, so import it now.
  await import('@tensorflow/tfjs-backend-webgpu');
  await tfc.setBackend('webgpu');
  await tfc.ready();
  return tfc;
}

/** The same model in tfjs-layers (channels last, TF.js's layout). */
function tfjsModel(preset: BenchModel): tfl.Sequential {
  if (preset === 'simplenn') {
    return tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }),
        tfl.layers.dense({ units: 10 }),
      ],
    });
  }
  if (preset === 'lenet') {
    // PRESETS.lenet: 5x5 convolutions, the first padded by 2 ('same' on 28x28), ReLU, max pooling.
    const conv5 = (filters: number, padding: 'same' | 'valid', inputShape?: number[]) =>
      tfl.layers.conv2d({ inputShape, filters, kernelSize: 5, padding, activation: 'relu' });
    return tfl.sequential({
      layers: [
        conv5(6, 'same', [28, 28, 1]),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        conv5(16, 'valid'),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 120, activation: 'relu' }),
        tfl.layers.dense({ units: 84, activation: 'relu' }),
        tfl.layers.dense({ units: 10 }),
      ],
    });
  }
  const conv = (filters: number, inputShape?: number[]) =>
    tfl.layers.conv2d({ inputShape, filters, kernelSize: 3, padding: 'same', useBias: false });
  return tfl.sequential({
    layers: [
      conv(16, [28, 28, 1]),
      tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tfl.layers.reLU(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      conv(32),
      tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tfl.layers.reLU(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.25 }),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

/**
 * Samples per second of TF.js training the same model with model.fit on its `backend` (best epoch
 * of `epochs`); throws when TF.js is on another backend, or cannot train the model there (a kernel
 * the backend lacks).
 */
export async function benchTfjsTraining(
  tf: Tfjs,
  backend: 'webgpu' | 'wasm',
  raw: RawImages,
  n: number,
  preset: BenchModel,
  epochs: number,
): Promise<number> {
  // One tfjs-core serves both backends: the figure must be the one the row names.
  if (tf.getBackend() !== backend) throw new Error(`TF.js is on ${tf.getBackend()}, not ${backend}`);
  const pixels = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) pixels[i] = (raw.images[i] / 255 - 0.1307) / 0.3081;
  const xs = preset !== 'simplenn' ? tf.tensor4d(pixels, [n, 28, 28, 1]) : tf.tensor2d(pixels, [n, 784]);
  const ys = tf.oneHot(tf.tensor1d(Array.from(raw.labels.subarray(0, n)), 'int32'), 10);
  const model = tfjsModel(preset);
  try {
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
    return best;
  } finally {
    xs.dispose();
    ys.dispose();
    model.dispose();
  }
}

function flops(m: number, k: number, n: number, seconds: number): number {
  return (2 * m * k * n) / seconds / 1e9;
}

function repeats(m: number, k: number, n: number): number {
  return Math.max(5, Math.min(200, Math.round(2e10 / (2 * m * k * n))));
}

/** GFLOP/s of Kiln's matmul kernel at one shape, many launches per submission. */
async function benchKilnMatmul(gpu: Gpu, m: number, k: number, n: number): Promise<number> {
  const backend = backendOn(gpu);
  const a = ops.full(backend, [m, k], 0.5);
  const b = ops.full(backend, [k, n], 0.25);
  ops.matmul(a, b).dispose();
  await backend.tune();
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
async function benchTfjsMatmul(tf: Tfjs, m: number, k: number, n: number): Promise<number> {
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

/** The convolutions of the CNN preset: 3x3, padding 1, batch 64. */
interface ConvShape {
  cin: number;
  cout: number;
  size: number;
}

const CONV_SHAPES: ConvShape[] = [
  { cin: 1, cout: 16, size: 28 },
  { cin: 16, cout: 32, size: 14 },
];
const CONV_BATCH = 64;
const CONV_REPS = 10;

/** Images per second through Kiln's conv2d forward and the weight gradient of its backward pass. */
async function benchKilnConv(gpu: Gpu, c: ConvShape): Promise<number> {
  const backend = backendOn(gpu);
  const x = ops.full(backend, [CONV_BATCH, c.cin, c.size, c.size], 0.5);
  const w = new Parameter(ops.full(backend, [c.cout, c.cin, 3, 3], 0.1));
  const step = () => {
    tidy(() => {
      F.sum(F.conv2d(x, w, undefined, { padding: 1 })).backward();
    });
    w.grad?.dispose();
    w.grad = null;
    backend.flush();
  };
  step();
  await backend.tune();
  await backend.sync();
  const t = performance.now();
  for (let i = 0; i < CONV_REPS; i++) step();
  await backend.sync();
  const s = (performance.now() - t) / 1000;
  x.dispose();
  w.dispose();
  return (CONV_BATCH * CONV_REPS) / s;
}

/** The same with tf.conv2d and tf.grad (NHWC, as TF.js lays images out). */
async function benchTfjsConv(tf: Tfjs, c: ConvShape): Promise<number> {
  const x = tf.fill([CONV_BATCH, c.size, c.size, c.cin], 0.5) as tfc.Tensor4D;
  const w = tf.fill([3, 3, c.cin, c.cout], 0.1) as tfc.Tensor4D;
  const grad = tf.grad((f: tfc.Tensor) => tf.sum(tf.conv2d(x, f as tfc.Tensor4D, 1, 'same')));
  await grad(w).data();
  const t = performance.now();
  let last: tfc.Tensor | null = null;
  for (let i = 0; i < CONV_REPS; i++) {
    last?.dispose();
    last = grad(w);
  }
  await last?.data();
  const s = (performance.now() - t) / 1000;
  last?.dispose();
  x.dispose();
  w.dispose();
  return (CONV_BATCH * CONV_REPS) / s;
}

/** A row as a line of the table people read, its name padded to `nameWidth` (the longest of the table). */
export function formatRow(r: BenchRow, nameWidth = 62): string {
  const ratio = r.tfjs ? `${(r.kiln / r.tfjs).toFixed(2)}x` : '-';
  const tfjs = r.tfjs === null ? '-'.padStart(10) : r.tfjs.toFixed(1).padStart(10);
  const vsTorch = (label: string, t: number | null | undefined) =>
    t === undefined
      ? ''
      : t === null
        ? `   ${label} -`
        : `   ${label} ${t.toFixed(1)} (kiln ${(r.kiln / t).toFixed(2)}x)`;
  const torch = vsTorch('torch', r.torch) + vsTorch('torch 1 thread', r.torchOneThread);
  const launches = r.launches === undefined ? '' : `   ${Math.round(r.launches)} kernel launches/step`;
  const note = r.note ? `   (${r.note})` : '';
  return `${r.name.padEnd(nameWidth)} ${(r.backend ?? 'webgpu').padEnd(6)} kiln ${r.kiln.toFixed(1).padStart(10)}   tfjs ${tfjs}   ratio ${ratio}${torch}${launches}${note}`;
}
