/**
 * The learning-rate range test: its schedule and the marks read off a curve (pure math on curves
 * whose answers are known), and, on the cpu backend, that it leaves the run it tests exactly as it
 * was (weights, optimizer state, the global generator, the loader's place: the run then trains on
 * bit for bit as a twin that never ran the test), frees what it made, stops when asked and ends on
 * divergence rather than failing, for an image model and a text model.
 */
import { describe, expect, it } from 'vitest';
import { SyntheticDataset } from '../data/dataset';
import { textData } from '../data/text';
import type { ModelSpec } from '../nn/spec';
import { TEXT_PRESETS } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { defaultGenerator, setDefaultBackend } from '../tensor/default';
import { DEFAULT_CONFIG, DEFAULT_TEXT_CONFIG, type TrainConfig } from './config';
import { prepareRunData, type RunData, tensorData } from './data';
import { checkLrFindOptions, type LrFindPoint, lrAt, lrMarks, markedRange } from './lr_curve';
import { lrFind } from './lr_find';
import { openRun, Run } from './run';

const SPEC: ModelSpec = {
  name: 'Tiny',
  inputShape: [6],
  layers: [
    { type: 'Linear', name: 'fc1', inFeatures: 6, outFeatures: 10 },
    { type: 'BatchNorm1d', name: 'bn', numFeatures: 10 },
    { type: 'ReLU' },
    { type: 'Dropout', p: 0.2 },
    { type: 'Linear', name: 'fc2', inFeatures: 10, outFeatures: 3 },
  ],
};

const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG,
  optimizer: 'adam',
  lr: 1e-3,
  epochs: 2,
  batchSize: 8,
  logEvery: 2,
};

const data = (backend: Backend): RunData =>
  tensorData(
    'synthetic',
    new SyntheticDataset(backend, { numSamples: 64, inputFeatures: 6, numClasses: 3, seed: 1 }),
    new SyntheticDataset(backend, { numSamples: 20, inputFeatures: 6, numClasses: 3, seed: 2 }),
    'synthetic 64',
  );

/** A curve over 1e-7..10 in 100 steps whose smoothed loss is `f(log10 lr)`. */
function curve(f: (x: number) => number, n = 100): LrFindPoint[] {
  const o = { startLr: 1e-7, endLr: 10, numIt: n };
  return Array.from({ length: n }, (_, i) => {
    const lr = lrAt(i, o);
    return { step: i + 1, lr, loss: f(Math.log10(lr)), smoothed: f(Math.log10(lr)) };
  });
}

describe('the schedule and the marks', () => {
  it('lr grows geometrically from startLr to endLr', () => {
    const o = { startLr: 1e-7, endLr: 10, numIt: 100 };
    expect(lrAt(0, o)).toBe(1e-7);
    expect(lrAt(99, o)).toBeCloseTo(10, 10);
    const ratios = [1, 50, 98].map((i) => lrAt(i + 1, o) / lrAt(i, o));
    for (const r of ratios) expect(r).toBeCloseTo(10 ** (8 / 99), 12);
  });

  it('finds the steepest descent, the minimum and a tenth of it on a known curve', () => {
    // Flat at 2, then falling gently, steeply between 1e-4 and 1e-3, gently again to its
    // minimum at 10^-1.5, then rising.
    const f = (x: number) => {
      if (x < -5) return 2;
      if (x < -4) return 2 - 0.3 * (x + 5);
      if (x < -3) return 1.7 - 1.0 * (x + 4);
      if (x < -1.5) return 0.7 - 0.2 * (x + 3);
      return 0.4 + 3 * (x + 1.5);
    };
    const points = curve(f);
    const m = lrMarks(points, 100);
    expect(m.steepest?.lr).toBeGreaterThanOrEqual(1e-4 / 10 ** (8 / 99));
    expect(m.steepest?.lr).toBeLessThan(1e-3);
    // The minimum is the recorded point nearest 10^-1.5 (steps are 10^(8/99) apart).
    const step = 10 ** (8 / 99);
    expect(m.minimum?.lr).toBeGreaterThan(10 ** -1.5 / step);
    expect(m.minimum?.lr).toBeLessThan(10 ** -1.5 * step);
    expect(m.minimumTenth?.lr).toBe((m.minimum?.lr as number) / 10);
    expect(m.suggestedLr).toBe(m.minimumTenth?.lr);
    expect(m.minimumTenth?.loss).toBeCloseTo(f(Math.log10(m.minimumTenth?.lr as number)), 1);
  });

  it('leaves out the first tenth and the last 5 points, where the curve says nothing', () => {
    // A dip at the very start (a lucky first batch) and a crash at the end must not be marked.
    const points = curve((x) => (x < -6.5 ? 0.1 : x > 0.6 ? 0.05 : 1 - 0.1 * (x + 7)));
    const range = markedRange(points, 100);
    expect(range[0].step).toBe(11);
    expect(range.at(-1)?.step).toBe(95);
    const m = lrMarks(points, 100);
    expect(m.minimum?.lr).toBe(points[94].lr);
  });

  it('a curve cut short still has marks from its first points past the start; one point has none', () => {
    const short = curve((x) => -x).slice(0, 14);
    expect(markedRange(short, 100).map((p) => p.step)).toEqual([11, 12]);
    expect(lrMarks(short, 100).suggestedLr).toBe(short[11].lr / 10);
    expect(lrMarks(short.slice(0, 1), 100)).toEqual({
      steepest: null,
      minimum: null,
      minimumTenth: null,
      suggestedLr: null,
    });
  });

  it('refuses options no test can run with, naming the option', () => {
    expect(checkLrFindOptions({})).toEqual({
      startLr: 1e-7,
      endLr: 10,
      numIt: 100,
      beta: 0.98,
      divergeFactor: 4,
    });
    expect(() => checkLrFindOptions({ startLr: 0 })).toThrow(/startLr must be a finite number > 0, got 0/);
    expect(() => checkLrFindOptions({ startLr: 1, endLr: 1 })).toThrow(
      /endLr must be a finite number > startLr/,
    );
    expect(() => checkLrFindOptions({ numIt: 1 })).toThrow(/numIt must be a whole number in \[2, 1000\]/);
    expect(() => checkLrFindOptions({ numIt: 2.5 })).toThrow(/numIt/);
    expect(() => checkLrFindOptions({ beta: 1 })).toThrow(/beta must lie in \[0, 1\)/);
    expect(() => checkLrFindOptions({ divergeFactor: Number.NaN })).toThrow(/divergeFactor/);
  });
});

describe('lrFind on a run (cpu backend)', () => {
  const backend = new CpuBackend();
  setDefaultBackend(backend);

  it('leaves the run exactly as it was: it trains on as a twin that never ran the test', async () => {
    const a = Run.create(SPEC, CONFIG, data(backend));
    // After its first epoch (of 2): Adam has moments, the loader a place, the generator a state.
    await a.fit({}, { shouldStop: () => a.epoch >= 1, checkpointEvery: 0 });
    const saved = await a.checkpoint();
    const weights = await a.model.stateDictData();
    const optimizer = await a.optimizer.stateDict();
    const generator = defaultGenerator.getState();
    const position = a.trainer.loader.position();
    const [step, history, lr] = [a.globalStep, a.history.length, a.trainer.lr];
    const bytes = backend.memory().bytesInUse;

    const found = await lrFind(a, { numIt: 30 });
    expect(found.points.length).toBeGreaterThan(5);

    expect(backend.memory().bytesInUse).toBe(bytes);
    expect(await a.model.stateDictData()).toEqual(weights);
    expect(await a.optimizer.stateDict()).toEqual(optimizer);
    expect(defaultGenerator.getState()).toEqual(generator);
    expect(a.trainer.loader.position()).toEqual(position);
    expect([a.globalStep, a.history.length, a.trainer.lr]).toEqual([step, history, lr]);
    expect(await a.checkpoint()).toEqual(saved);

    // The twin: the same run from the checkpoint taken before the test (generator included).
    await a.fit();
    const after = await a.model.stateDictData();
    const b = Run.fromCheckpoint(saved, data(backend));
    await b.fit();
    expect(after).toEqual(await b.model.stateDictData());
    a.dispose();
    b.dispose();
  });

  it('records lr, loss and the debiased smoothed loss per step, and ends on divergence, not with an error', async () => {
    // SGD with momentum on a plain MLP: past lr 1 its loss explodes.
    const mlp = {
      ...SPEC,
      layers: SPEC.layers.filter((l) => l.type !== 'BatchNorm1d' && l.type !== 'Dropout'),
    };
    const run = Run.create(mlp, { ...CONFIG, optimizer: 'sgd', momentum: 0.9 }, data(backend));
    const heard: LrFindPoint[] = [];
    const found = await lrFind(run, { numIt: 120, onPoint: (p) => heard.push(p) });
    expect(heard).toEqual(found.points);
    expect(found.end).toMatch(/^(diverged|non-finite)$/);
    expect(found.points.length).toBeLessThan(120);
    const o = { startLr: 1e-7, endLr: 10, numIt: 120 };
    let avg = 0;
    let best = Number.POSITIVE_INFINITY;
    for (const [i, p] of found.points.entries()) {
      expect(p.step).toBe(i + 1);
      expect(p.lr / lrAt(i, o)).toBeCloseTo(1, 12);
      avg = 0.98 * avg + 0.02 * p.loss;
      expect(p.smoothed).toBeCloseTo(avg / (1 - 0.98 ** (i + 1)), 10);
      // It stopped at the first point past 4x the best, and not before.
      if (i < found.points.length - 1) expect(p.smoothed).toBeLessThanOrEqual(4 * best);
      best = Math.min(best, p.smoothed);
    }
    expect(found.suggestedLr).toBeGreaterThan(0);
    expect(found.suggestedLr).toBe((found.minimum?.lr as number) / 10);
    run.dispose();
  });

  it('stops when asked, with the curve so far', async () => {
    const run = Run.create(SPEC, CONFIG, data(backend));
    let calls = 0;
    const found = await lrFind(run, { numIt: 50, shouldStop: () => ++calls > 10 });
    expect(found.end).toBe('stopped');
    expect(found.points.length).toBeLessThanOrEqual(11);
    expect(found.points.length).toBeGreaterThan(5);
    run.dispose();
  });

  it('runs on a text run (a GPT in steps) and leaves its weights as they were', async () => {
    const bytes = new TextEncoder().encode('the quick brown fox jumps over the lazy dog.\n'.repeat(30));
    const text = textData(bytes, 'fox.txt', 'fox');
    const config = { ...DEFAULT_TEXT_CONFIG, steps: 6, evalEvery: 3, blockSize: 8, batchSize: 4 };
    const spec = TEXT_PRESETS.gpt({
      vocabSize: [...text.vocab].length,
      blockSize: 8,
      nLayer: 1,
      nHead: 2,
      nEmbd: 8,
      dropout: 0.1,
    });
    const run = openRun({ spec, config }, (c) => prepareRunData(backend, text, c, spec));
    const weights = await run.model.stateDictData();
    const found = await lrFind(run, { numIt: 40 });
    expect(found.points.length).toBeGreaterThan(10);
    // A uniform guess over the vocabulary costs ln(V) nats: the first steps (lr ~1e-7) sit there.
    expect(found.points[0].loss).toBeCloseTo(Math.log([...text.vocab].length), 0);
    expect(found.suggestedLr).toBeGreaterThan(0);
    expect(await run.model.stateDictData()).toEqual(weights);
    run.dispose();
  });
});
