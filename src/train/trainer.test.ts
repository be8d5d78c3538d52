import { describe, expect, test } from 'vitest';
import { DataLoader } from '../data/dataloader';
import { ImageDataset } from '../data/dataset';
import { Compose, Normalize, ToTensor } from '../data/transforms';
import { CrossEntropyLoss, SimpleNN } from '../nn';
import { Adam } from '../optim';
import { manualSeed, setDefaultBackend } from '../tensor/default';
import { Generator } from '../tensor/random';
import { webgpuBackend } from '../tensor/testing';
import { DEFAULT_CONFIG } from './config';
import { Trainer } from './trainer';

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
    dataset.dispose();
  });
});
