/**
 * The Run as its shells use it: what it refuses before building anything, divergence in
 * validation, and memory: fifty runs created, trained and disposed on one backend leave the bytes
 * in use where they started and the pool under its cap.
 */
import { describe, expect, it } from 'vitest';
import { SyntheticDataset } from '../data/dataset';
import type { ModelSpec } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { getDefaultBackend, setDefaultBackend } from '../tensor/default';
import { tidy } from '../tensor/tensor';
import { webgpuBackend } from '../tensor/testing';
import { WebGPUBackend } from '../tensor/webgpu';
import { DEFAULT_CONFIG, type TrainConfig } from './config';
import { type RunData, tensorData } from './data';
import { RunError } from './errors';
import { type HistogramItem, Run } from './run';
import { DivergenceError, divergenceLimit } from './trainer';

const SPEC: ModelSpec = {
  name: 'Tiny',
  inputShape: [6],
  layers: [
    { type: 'Linear', name: 'fc1', inFeatures: 6, outFeatures: 10 },
    { type: 'BatchNorm1d', name: 'bn', numFeatures: 10 },
    { type: 'ReLU' },
    { type: 'Linear', name: 'fc2', inFeatures: 10, outFeatures: 3 },
  ],
};

const CONFIG: TrainConfig = { ...DEFAULT_CONFIG, epochs: 1, batchSize: 13, logEvery: 3 };

const data = (backend: Backend, numSamples = 50): RunData =>
  tensorData(
    'synthetic',
    new SyntheticDataset(backend, { numSamples, inputFeatures: 6, numClasses: 3, seed: 1 }),
    new SyntheticDataset(backend, { numSamples: 20, inputFeatures: 6, numClasses: 3, seed: 2 }),
    `synthetic ${numSamples}`,
  );

describe('Run.create refuses before building anything', () => {
  const backend = new CpuBackend();
  setDefaultBackend(backend);

  it('a model whose output is not one score per class, naming the last layer', () => {
    const d = data(backend);
    const narrow: ModelSpec = {
      ...SPEC,
      layers: [{ type: 'Linear', name: 'head', inFeatures: 6, outFeatures: 5 }],
    };
    const before = backend.memory().bytesInUse;
    expect(() => Run.create(narrow, CONFIG, d)).toThrow(
      /last layer \(head: Linear\) gives 5 outputs, the dataset has 3 classes/,
    );
    expect(backend.memory().bytesInUse).toBe(before);
    d.dispose();
  });

  it('a model for other inputs, a config with a bad value', () => {
    const d = data(backend);
    expect(() => Run.create({ ...SPEC, inputShape: [7] }, CONFIG, d)).toThrow(RunError);
    expect(() => Run.create(SPEC, { ...CONFIG, lr: Number.POSITIVE_INFINITY }, d)).toThrow(
      /learning rate must be a finite number > 0, got Infinity/,
    );
    expect(() => Run.create(SPEC, { ...CONFIG, optimizer: 'adam', momentum: 0.9 }, d)).toThrow(
      /momentum applies to sgd and rmsprop/,
    );
    expect(() => Run.create(SPEC, { ...CONFIG, seed: 1e300 }, d)).toThrow(/seed must be a whole number/);
    d.dispose();
  });

  it('a validation loss that is not finite is divergence, and nothing of that epoch is checkpointed', async () => {
    const d = data(backend);
    const run = Run.create(SPEC, { ...CONFIG, optimizer: 'sgd', lr: 1e30, epochs: 2 }, d);
    const saved: string[] = [];
    await expect(run.fit({ checkpoint: (_, why) => void saved.push(why) })).rejects.toThrow(DivergenceError);
    expect(saved).toEqual([]);
    run.dispose();
  });

  it('Adam at lr 1e10 is divergence though its loss stays finite, stopped before an epoch is kept', async () => {
    const d = data(backend, 200);
    const run = Run.create(SPEC, { ...CONFIG, optimizer: 'adam', lr: 1e10, epochs: 2, logEvery: 2 }, d);
    const saved: string[] = [];
    const failed = await run.fit({ checkpoint: (_, why) => void saved.push(why) }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DivergenceError);
    const { value, limit, message } = failed as DivergenceError;
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThan(limit ?? Number.POSITIVE_INFINITY);
    expect(message).toMatch(
      /^the training loss grew to \S+ at step 2, over 10 times its first value \(the limit is \S+\): training stopped, and the last checkpoint is kept\. Try a lower learning rate/,
    );
    expect(saved).toEqual([]);
    run.dispose();
  });

  it('a sound run is not called divergent, nor one whose loss stays under ten times ln(classes)', async () => {
    const d = data(backend, 200);
    const run = Run.create(SPEC, { ...CONFIG, optimizer: 'adam', lr: 1e-2, epochs: 2, logEvery: 2 }, d);
    await expect(run.fit()).resolves.toBe('finished');
    run.dispose();
    expect(divergenceLimit(0.01, 3)).toBeCloseTo(10 * Math.log(3));
    expect(divergenceLimit(2.5, 10)).toBe(25);
  });
});

describe('checkpoints between epochs', () => {
  it('writes one mid-epoch when the shell asks (a page going away), and it resumes to the very same weights', async () => {
    // The cpu backend the suite above made the default: models are built there.
    const backend = getDefaultBackend();
    const config = { ...CONFIG, epochs: 2, optimizer: 'sgd' as const, lr: 0.1, momentum: 0.9 };
    const whole = Run.create(SPEC, config, data(backend));
    await whole.fit();
    const expected = await whole.model.stateDictData();
    whole.dispose();

    // 4 steps an epoch: asked after step 2 of epoch 1, and after its last step (left to the epoch's own).
    const run = Run.create(SPEC, config, data(backend));
    const saved: { why: string; bytes: Uint8Array; step: number }[] = [];
    await run.fit(
      { checkpoint: (bytes, why) => void saved.push({ why, bytes, step: run.globalStep }) },
      { checkpointDue: () => run.globalStep === 2 || run.globalStep === 4 },
    );
    run.dispose();
    expect(saved.map((c) => [c.why, c.step])).toEqual([
      ['interim', 2],
      ['epoch', 4],
      ['epoch', 8],
    ]);
    const resumed = Run.fromCheckpoint(saved[0].bytes, data(backend));
    expect([resumed.epoch, resumed.globalStep]).toEqual([0, 2]);
    await resumed.fit();
    const got = await resumed.model.stateDictData();
    for (const [k, t] of expected) expect(Array.from(got.get(k)?.data ?? []), k).toEqual(Array.from(t.data));
    resumed.dispose();
  });
});

describe.each([
  ['cpu', async () => new CpuBackend() as Backend],
  ['webgpu', webgpuBackend as () => Promise<Backend>],
])('memory on %s', (_, makeBackend) => {
  it('fifty runs created, trained and disposed leave bytes in use where they started', async () => {
    const backend = await makeBackend();
    setDefaultBackend(backend);
    const cycle = async (i: number) => {
      const run = Run.create(
        SPEC,
        { ...CONFIG, seed: i, optimizer: i % 2 ? 'adam' : 'sgd' },
        data(backend, 42 + 2 * (i % 5)),
      );
      expect(await run.fit()).toBe('finished');
      await run.checkpoint();
      run.dispose();
    };
    // The first run leaves what a backend keeps once for good (backward()'s seed of ones).
    await cycle(0);
    await backend.sync();
    const start = backend.memory().bytesInUse;
    for (let i = 1; i <= 50; i++) await cycle(i);
    await backend.sync();
    const after = backend.memory();
    expect(after.bytesInUse).toBe(start);
    if (backend instanceof WebGPUBackend) expect(after.bytesPooled).toBeLessThanOrEqual(backend.poolBytes);
  });
});

describe.each([
  ['cpu', async () => new CpuBackend() as Backend],
  ['webgpu', webgpuBackend as () => Promise<Backend>],
])('histograms on %s', (_, makeBackend) => {
  it('every N steps: each parameter and gradient tagged as add_histogram, gradient health as scalars', async () => {
    const backend = await makeBackend();
    setDefaultBackend(backend);
    const config = { ...CONFIG, epochs: 2 };
    // A first run leaves what a backend keeps for good; the second must leave nothing more.
    const warm = Run.create(SPEC, config, data(backend));
    await warm.fit({}, { histogramsEvery: 3 });
    warm.dispose();
    // Step 1's gradient norm of fc1.weight, computed apart: a twin run (same seed, so the same
    // weights and first batch) takes that step's backward, and the host sums the squares.
    const twin = Run.create(SPEC, config, data(backend));
    twin.model.train();
    const [x, y] = twin.trainer.loader[Symbol.iterator]().next().value!;
    tidy(() => twin.trainer.lossFn.forward(twin.model.forward(x), y).backward());
    const grad = await [...twin.model.namedParameters()].find(([k]) => k === 'fc1.weight')![1].grad!.data();
    const hostNorm = Math.sqrt(Array.from(grad).reduce((a, g) => a + g * g, 0));
    for (const t of [x, y]) t.dispose();
    twin.dispose();
    await backend.sync();
    const start = backend.memory().bytesInUse;
    const reports: HistogramItem[][] = [];
    const run = Run.create(SPEC, config, data(backend));
    // 4 steps an epoch, 8 in all: histograms at the first step (a baseline), then at 3 and 6.
    await run.fit({ histograms: (items) => void reports.push(items) }, { histogramsEvery: 3 });
    expect(reports.map((r) => r[0].step)).toEqual([1, 3, 6]);
    const names = ['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'fc2.weight', 'fc2.bias'];
    const sizes = Object.fromEntries([...run.model.namedParameters()].map(([k, p]) => [k, p.size]));
    for (const items of reports) {
      expect(items.map((i) => i.tag)).toEqual(names.flatMap((n) => [n, `${n}.grad`]));
      for (const { tag, hist } of items) {
        const total = hist.counts.reduce((a, b) => a + b, 0) + hist.nan + hist.posInf + hist.negInf;
        expect(total).toBe(sizes[tag.replace(/\.grad$/, '')]);
      }
    }
    const health = run.history.filter((s) => /^(grad_norm|update_ratio)\//.test(s.tag));
    expect(health.map((s) => `${s.tag}@${s.step}`)).toEqual(
      [1, 3, 6].flatMap((step) =>
        names.flatMap((n) => [`grad_norm/${n}@${step}`, `update_ratio/${n}@${step}`]),
      ),
    );
    expect(hostNorm).toBeGreaterThan(0);
    // The first logged norm is that one.
    expect(health[0].tag).toBe('grad_norm/fc1.weight');
    expect(health[0].value).toBeCloseTo(hostNorm, 4);
    // Every weight moved at each step.
    for (const s of health) expect(s.value).toBeGreaterThan(0);
    run.dispose();
    await backend.sync();
    expect(backend.memory().bytesInUse).toBe(start);
    const refused = Run.create(SPEC, CONFIG, data(backend));
    await expect(refused.fit({}, { histogramsEvery: 0 })).rejects.toThrow(
      /histogramsEvery must be a whole number >= 1/,
    );
    refused.dispose();
  });
});
