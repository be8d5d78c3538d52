import { describe, expect, test } from 'vitest';
import { DataLoader } from '../data/dataloader';
import { ImageDataset } from '../data/dataset';
import { Compose, Normalize, ToTensor } from '../data/transforms';
import { buildModel, CrossEntropyLoss, SimpleNN } from '../nn';
import type { ModelSpec } from '../nn/spec';
import { Adam, SGD } from '../optim';
import { CpuBackend } from '../tensor/cpu';
import { manualSeed, setDefaultBackend } from '../tensor/default';
import { Generator } from '../tensor/random';
import { webgpuBackend } from '../tensor/testing';
import { DEFAULT_CONFIG } from './config';
import { type HistogramReport, Trainer } from './trainer';

describe('Trainer', () => {
  test('submits a group of steps at a time, and trains', async () => {
    const backend = await webgpuBackend();
    setDefaultBackend(backend);
    manualSeed(0);
    // 1,024 random "images" in two classes told apart by their first pixel: 64 steps of 16.
    const g = new Generator(1);
    const count = 1024;
    const images = Uint8Array.from({ length: count * 784 }, () => Math.floor(g.uniform(0, 256)));
    const labels = Uint8Array.from({ length: count }, (_, i) => (images[i * 784] > 127 ? 1 : 0));
    const dataset = new ImageDataset(
      backend,
      {
        kind: 'image',
        name: 'two classes',
        images,
        labels,
        count,
        rows: 28,
        cols: 28,
        channels: 1,
        numClasses: 2,
      },
      new Compose([new ToTensor(), new Normalize([0.5], [0.25])]),
    );
    const model = SimpleNN();
    const loader = new DataLoader(dataset, { batchSize: 16, shuffle: true, generator: new Generator(2) });
    const trainer = new Trainer(
      model,
      new Adam(model.parameters(), { lr: 1e-3 }),
      new CrossEntropyLoss(),
      loader,
      { ...DEFAULT_CONFIG, logEvery: 32 },
      null,
    );
    const losses: number[] = [];
    trainer.onStep = (m) => losses.push(m.loss);
    await trainer.trainEpoch(); // the first epoch also tunes the matmuls (its own submissions)
    const before = backend.submissions;
    const second = await trainer.trainEpoch();
    // 64 steps in groups of 8, plus the two loss reads and the epoch mean's.
    expect(second.steps).toBe(64);
    expect(backend.submissions - before).toBeLessThanOrEqual(64 / 8 + 3);
    expect(losses).toHaveLength(4);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[3]).toBeLessThan(losses[0]);
    // Histograms (and the dead-ReLU probe) every 16 steps add one read per probe, nothing per step.
    const reports: HistogramReport[] = [];
    trainer.histograms = { every: 16, onRead: (r) => reports.push(r) };
    const withProbe = backend.submissions;
    await trainer.trainEpoch();
    expect(backend.submissions - withProbe).toBeLessThanOrEqual(64 / 8 + 3 + 4);
    expect(reports.map((r) => r.step)).toEqual([144, 160, 176, 192]);
    expect(reports[0].deadRelus.map((d) => [d.name, d.units])).toEqual([['relu', 128]]);
    dataset.dispose();
  });
});

describe('the dead-ReLU probe', () => {
  test('counts, with the histograms, the ReLU units that output 0 for the whole batch, fused or not', async () => {
    const backend = new CpuBackend();
    setDefaultBackend(backend);
    const spec: ModelSpec = {
      name: 'probe',
      inputShape: [1, 2, 2],
      layers: [
        { type: 'Conv2d', inChannels: 1, outChannels: 2, kernelSize: 1 },
        { type: 'ReLU' },
        { type: 'Flatten' },
        { type: 'Linear', name: 'fc1', inFeatures: 8, outFeatures: 3 },
        { type: 'ReLU', name: 'relu' },
        { type: 'Linear', name: 'fc2', inFeatures: 3, outFeatures: 2 },
      ],
    };
    const model = buildModel(spec);
    // Inputs are in [0, 1]: a unit whose weights are all -1 and bias -1 is 0 for every sample, so
    // its gradient is 0 and it stays dead; conv channel 0 and fc1 units 0 and 2 are such units.
    const host = (shape: number[], values: number[]) => ({
      shape,
      dtype: 'float32' as const,
      data: Float32Array.from(values),
    });
    model.loadStateDict(
      new Map([
        ['0.weight', host([2, 1, 1, 1], [-1, 1])],
        ['0.bias', host([2], [-1, 0.1])],
        ['fc1.weight', host([3, 8], [...Array(8).fill(-1), ...Array(8).fill(1), ...Array(8).fill(-1)])],
        ['fc1.bias', host([3], [-1, 0.1, -1])],
        ['fc2.weight', host([2, 3], [0.5, -0.5, 0.25, -0.25, 0.5, 0.1])],
        ['fc2.bias', host([2], [0, 0])],
      ]),
    );
    const count = 8;
    const images = Uint8Array.from({ length: count * 4 }, (_, i) => (i * 37) % 256);
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 2);
    const dataset = new ImageDataset(
      backend,
      { kind: 'image', name: 'tiny', images, labels, count, rows: 2, cols: 2, channels: 1, numClasses: 2 },
      new ToTensor(),
    );
    const loader = new DataLoader(dataset, { batchSize: 4 });
    const trainer = new Trainer(
      model,
      new SGD(model.parameters(), { lr: 0.1 }),
      new CrossEntropyLoss(),
      loader,
      DEFAULT_CONFIG,
      null,
    );
    const reports: HistogramReport[] = [];
    trainer.histograms = { every: 1, onRead: (r) => reports.push(r) };
    await trainer.trainEpoch();
    expect(reports.map((r) => r.step)).toEqual([1, 2]);
    for (const r of reports) {
      expect(r.deadRelus).toEqual([
        { name: '1', dead: 1, units: 2 },
        { name: 'relu', dead: 2, units: 3 },
      ]);
    }
    dataset.dispose();
  });
});
