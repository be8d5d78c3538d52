import { describe, expect, it } from 'vitest';
import { progress } from './progress';

/** A run of 3 epochs of 100 steps at 10 steps/s (batch 64), validation 5 s a pass. */
const base = {
  state: 'running' as const,
  phase: 'training' as const,
  epoch: 0,
  step: 0,
  stepsPerEpoch: 100,
  samplesPerSec: 640,
  valSeconds: 5,
  config: { epochs: 3, batchSize: 64 },
};

describe('progress', () => {
  it('counts the validation passes to come in the time left', () => {
    // 250 steps at 10/s, and all three validations.
    expect(progress({ ...base, epoch: 0, step: 50 }).secondsLeft).toBeCloseTo(25 + 15);
  });

  it('does not say 0 s while the last validation runs', () => {
    const p = progress({ ...base, phase: 'validating', epoch: 3, step: 300 });
    expect(p).toMatchObject({ epoch: 3, stepInEpoch: 100, fraction: 1 });
    expect(p.secondsLeft).toBeCloseTo(5);
    expect(progress({ ...base, phase: 'checkpointing', epoch: 3, step: 300 }).secondsLeft).toBe(0);
  });

  it('shows a paused or stopped run in the epoch it is in, not "epoch 0"', () => {
    expect(progress({ ...base, state: 'paused', phase: null, step: 37 })).toMatchObject({
      epoch: 1,
      stepInEpoch: 37,
      secondsLeft: Number.NaN,
    });
    expect(progress({ ...base, state: 'stopped', phase: null, epoch: 1, step: 100 })).toMatchObject({
      epoch: 1,
      stepInEpoch: 100,
    });
    expect(progress({ ...base, state: 'stopped', phase: null, epoch: 1, step: 101 })).toMatchObject({
      epoch: 2,
      stepInEpoch: 1,
    });
  });

  it('starts an epoch at its first step and ends a finished run complete', () => {
    expect(progress({ ...base, phase: 'compiling' })).toMatchObject({
      epoch: 1,
      stepInEpoch: 0,
      fraction: 0,
    });
    expect(progress({ ...base, epoch: 1, step: 100 })).toMatchObject({ epoch: 2, stepInEpoch: 0 });
    expect(progress({ ...base, state: 'finished', phase: null, epoch: 3, step: 300 })).toMatchObject({
      epoch: 3,
      stepInEpoch: 100,
      fraction: 1,
    });
  });

  it('has no time left before the speed is known', () => {
    expect(progress({ ...base, samplesPerSec: 0 }).secondsLeft).toBeNaN();
  });

  it('measures a text run in steps: its evaluations are its epochs, not the image default of 3', () => {
    const text = {
      ...base,
      stepsPerEpoch: 250,
      config: { epochs: 3, batchSize: 64, steps: 600, evalEvery: 250 },
    };
    expect(progress({ ...text, epoch: 1, step: 300 })).toMatchObject({ epoch: 2, epochs: 3, fraction: 0.5 });
    expect(progress({ ...text, state: 'finished', phase: null, epoch: 3, step: 600 })).toMatchObject({
      epoch: 3,
      epochs: 3,
      fraction: 1,
    });
    const short = { ...text, config: { ...text.config, steps: 100 } };
    expect(progress({ ...short, epoch: 0, step: 50 })).toMatchObject({ epoch: 1, epochs: 1, fraction: 0.5 });
  });
});
