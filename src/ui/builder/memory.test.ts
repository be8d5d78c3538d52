import { describe, expect, it } from 'vitest';
import { inferShapes, PRESETS } from '../../nn/spec';
import { estimateMemory } from './memory';

describe('estimateMemory', () => {
  it('counts SimpleNN by hand', () => {
    // fc1: 784·128 + 128 = 100,480; fc2: 128·10 + 10 = 1,290; 101,770 parameters in all.
    const m = estimateMemory(inferShapes(PRESETS.simplenn));
    expect(m.weights).toBe(101_770 * 4);
    expect(m.gradients).toBe(101_770 * 4);
    expect(m.adamState).toBe(101_770 * 8);
    expect(m.buffers).toBe(0);
    expect(m.total).toBe(101_770 * 16);
    // Outputs per sample: Flatten 784 + fc1 128 + ReLU 128 + fc2 10 = 1,050 floats.
    expect(m.activationsPerSample).toBe(1_050 * 4);
  });

  it('counts BatchNorm running statistics as buffers, not parameters', () => {
    const spec = {
      name: 'bn',
      inputShape: [8],
      layers: [{ type: 'BatchNorm1d' as const, numFeatures: 8 }],
    };
    const m = estimateMemory(inferShapes(spec));
    expect(m.weights).toBe(16 * 4); // gamma and beta
    expect(m.buffers).toBe(17 * 4); // running_mean, running_var, num_batches_tracked
  });

  it('counts the valid layers before an invalid one', () => {
    const spec = structuredClone(PRESETS.simplenn);
    const fc2 = spec.layers[3];
    if (fc2.type !== 'Linear') throw new Error('SimpleNN changed');
    fc2.outFeatures = 0;
    const m = estimateMemory(inferShapes(spec));
    // fc1 alone: 100,480 parameters; Flatten 784 + fc1 128 + ReLU 128 outputs.
    expect(m.weights).toBe(100_480 * 4);
    expect(m.activationsPerSample).toBe(1_040 * 4);
  });
});
