/**
 * GPU memory and submissions over a training run on the webgpu backend: each step (forward,
 * backward, optimizer update, zeroGrad) inside tidy() is exactly one submission, and the bytes held
 * by tensors after step 30 equal those after step 10, so nothing leaks per step.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { F } from '../autograd';
import { buildModel, type Module, PRESETS } from '../nn';
import { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { tidy } from '../tensor/tensor';
import { randn, webgpuBackend } from '../tensor/testing';
import { Adam } from './adam';
import { clipGradNorm_ } from './clip_grad';
import type { Optimizer } from './optimizer';
import { SGD } from './sgd';

const saved = getDefaultBackend();
afterAll(() => setDefaultBackend(saved));

const STEPS = 30;
const BATCH = 32;
const SAMPLES = 256;

/**
 * Trains `model` for STEPS steps on a resident random dataset, each batch gathered on the device
 * (no uploads inside a step), and records memory and submissions per step.
 */
async function run(model: Module, optimizer: Optimizer, clip: boolean) {
  const gpu = await webgpuBackend();
  const data = randn(gpu, [SAMPLES, 1, 28, 28], 1);
  const labels = ops.tensor(
    gpu,
    Int32Array.from({ length: SAMPLES }, (_, i) => (i * 7) % 10),
  );
  const order = ops.tensor(
    gpu,
    Int32Array.from({ length: SAMPLES }, (_, i) => (i * 37) % SAMPLES),
  );
  gpu.flush();
  const inUse: number[] = [];
  const buffers: number[] = [];
  const submissions: number[] = [];
  const losses: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const before = gpu.submissions;
    const offset = ((step - 1) * BATCH) % SAMPLES;
    const loss = tidy(() => {
      const x = ops.gatherRows(data, order, offset, BATCH);
      const y = ops.gatherRows(labels, order, offset, BATCH);
      const l = F.crossEntropy(model.forward(x), y);
      l.backward();
      if (clip) clipGradNorm_(model.parameters(), 1.0).dispose();
      optimizer.step();
      optimizer.zeroGrad();
      return l;
    });
    gpu.flush();
    submissions.push(gpu.submissions - before);
    // The first and last losses are read back (outside the counted submission) and freed before
    // memory is measured, so every step is measured holding the same tensors.
    if (step === 1 || step === STEPS) losses.push(await loss.item());
    loss.dispose();
    inUse.push(gpu.memory().bytesInUse);
    buffers.push(gpu.memory().buffers);
  }
  const [first, last] = losses;
  for (const t of [data, labels, order]) t.dispose();
  return { inUse, buffers, submissions, first, last };
}

describe('memory over 30 training steps on webgpu', () => {
  test('SimpleNN with SGD: one submission per step, bytes in use after step 30 equal step 10', async () => {
    const gpu = await webgpuBackend();
    setDefaultBackend(gpu);
    manualSeed(0);
    const model = buildModel(PRESETS.simplenn);
    const r = await run(model, new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), false);
    expect(r.submissions).toEqual(new Array(STEPS).fill(1));
    expect(r.inUse[STEPS - 1]).toBe(r.inUse[9]);
    // The pool stops growing once the first steps have sized it.
    expect(r.buffers[STEPS - 1]).toBe(r.buffers[9]);
    // Parameters and gradients are really updated: the loss falls on this learnable toy data.
    expect(Number.isFinite(r.last)).toBe(true);
    expect(r.last).toBeLessThan(r.first);
    expect(r.inUse.slice(9).every((v) => v === r.inUse[9])).toBe(true);
  });

  test('MLP with BatchNorm, Dropout, Adam and clipGradNorm_: flat too', async () => {
    const gpu = await webgpuBackend();
    setDefaultBackend(gpu);
    manualSeed(1);
    const model = buildModel(PRESETS.mlp);
    const r = await run(model, new Adam(model.parameters(), { lr: 1e-3 }), true);
    expect(r.submissions).toEqual(new Array(STEPS).fill(1));
    expect(r.inUse[STEPS - 1]).toBe(r.inUse[9]);
    expect(r.buffers[STEPS - 1]).toBe(r.buffers[9]);
    expect(Number.isFinite(r.last)).toBe(true);
    const sd = await model.stateDictData();
    expect(Array.from(sd.get('2.num_batches_tracked')!.data)).toEqual([STEPS]);
  });
});
