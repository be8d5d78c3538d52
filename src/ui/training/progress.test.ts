import { describe, expect, it } from 'vitest';
import { latestMetrics, progress, resumePoint } from './progress';

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

describe('latestMetrics', () => {
  const point = (step: number, value: number) => ({ step, value, wallTime: step, epoch: step / 100 });

  it("gives the run bar the live training loss and the last validation's accuracy", () => {
    const series = {
      'Loss/train': [point(10, 2.1), point(20, 1.4)],
      'Accuracy/val': [point(100, 0.91)],
      'Loss/val': [point(100, 0.3)],
    };
    expect(latestMetrics({ series, config: {} })).toEqual({
      loss: { value: 1.4, step: 20, epoch: 0.2 },
      val: { value: 0.91, step: 100, epoch: 1, kind: 'accuracy' },
    });
    // Before the first validation, the loss alone.
    expect(latestMetrics({ series: { 'Loss/train': [point(10, 2.1)] }, config: {} }).val).toBeNull();
    expect(latestMetrics({ series: {}, config: {} })).toEqual({ loss: null, val: null });
  });

  it("gives a text run's validation loss, as nanoGPT reports it", () => {
    const series = { 'Accuracy/val': [point(250, 0.4)], 'Loss/val': [point(250, 1.9)] };
    expect(latestMetrics({ series, config: { steps: 600 } }).val).toMatchObject({ value: 1.9, kind: 'loss' });
  });
});

describe('resumePoint', () => {
  const stopped = { epoch: 0, step: 37, stepsPerEpoch: 60, config: { epochs: 3 } };

  it('says where a run stopped mid-epoch goes on: its epoch counted from 1, and the next batch', () => {
    // Not "from epoch 0": 37 of epoch 1's 60 batches are done, so it goes on with the 38th.
    expect(resumePoint({ ...stopped, checkpointEpoch: 0, checkpointStep: 37 })).toBe(
      'in epoch 1 of 3, at batch 38 of 60 (after step 37)',
    );
    expect(resumePoint({ ...stopped, epoch: 1, step: 80, checkpointEpoch: 1, checkpointStep: 80 })).toBe(
      'in epoch 2 of 3, at batch 21 of 60 (after step 80)',
    );
    // The run's own place stands in while its checkpoint's is not noted.
    expect(resumePoint(stopped)).toBe('in epoch 1 of 3, at batch 38 of 60 (after step 37)');
  });

  it("says an epoch's end as the next epoch's start, and a text run's place in its steps", () => {
    expect(resumePoint({ ...stopped, epoch: 1, step: 60, checkpointEpoch: 1, checkpointStep: 60 })).toBe(
      'at the start of epoch 2 of 3 (after step 60)',
    );
    expect(
      resumePoint({ ...stopped, step: 1300, stepsPerEpoch: 250, config: { epochs: 3, steps: 2000 } }),
    ).toBe('after step 1,300 of 2,000');
    expect(resumePoint({ ...stopped, stepsPerEpoch: 0 })).toBe('after step 37 (0 of 3 epochs done)');
  });
});
