import { describe, expect, it } from 'vitest';
import { StepRate, WINDOW_MS } from './stepRate';

describe('StepRate', () => {
  it('counts from where it starts: not the first step, which compiles', () => {
    const rate = new StepRate();
    // Compiling for 30 s, then step 1 done: measured from there, at 10 ms a step.
    rate.halt(0);
    rate.go(30_000);
    rate.start(1, 30_000);
    expect(rate.read(50, 30_490)).toBeCloseTo(100, 9);
  });

  it('starts at its first read when not started', () => {
    const rate = new StepRate();
    expect(rate.read(50, 10_000)).toBe(0);
    expect(rate.read(100, 10_500)).toBeCloseTo(100, 9);
  });

  it('leaves paused, validating and checkpointing time out, a read landing in a pause too', () => {
    const rate = new StepRate();
    rate.start(0, 0);
    expect(rate.read(10, 200)).toBeCloseTo(50, 9);
    // A validation of a minute between reads.
    rate.halt(300);
    rate.go(60_300);
    expect(rate.read(20, 60_400)).toBeCloseTo(50, 9);
    // Paused for an hour at 60,500 (step 25); the read of step 25 lands in the pause, at 61,000.
    rate.halt(60_500);
    expect(rate.read(25, 61_000)).toBeCloseTo(50, 9);
    rate.go(3_660_500);
    // Five more steps at 20 ms after the pause: still 50 steps/s, not sunk by the hour.
    expect(rate.read(30, 3_660_600)).toBeCloseTo(50, 9);
  });

  it('keeps the last rate when no step was measured since', () => {
    const rate = new StepRate();
    rate.start(0, 0);
    expect(rate.read(10, 100)).toBeCloseTo(100, 9);
    expect(rate.read(10, 100)).toBeCloseTo(100, 9);
    expect(new StepRate().read(0, 0)).toBe(0);
  });
});

describe('StepRate over time', () => {
  it('takes the speed over the last few seconds of training, not one jittery logging window', () => {
    const rate = new StepRate();
    rate.start(0, 0);
    // Windows of 5 steps that alternate 10 ms and 90 ms (the GPU's wait landing in every other):
    // a steady 100 steps/s over both, where each window alone reads 500 or 56.
    let t = 0;
    const reads: number[] = [];
    for (let w = 1; w <= 20; w++) reads.push(rate.read(5 * w, (t += w % 2 ? 10 : 90)));
    for (const r of reads.slice(1)) {
      expect(r).toBeGreaterThanOrEqual(100);
      expect(r).toBeLessThan(140);
    }
    expect(reads.at(-1)).toBeCloseTo(100, 9);
  });

  it(`forgets speeds older than ${WINDOW_MS / 1000} s of training`, () => {
    const rate = new StepRate();
    rate.start(0, 0);
    // 10 s at 10 steps/s, then 10 s at 100 steps/s: the speed is the new one.
    for (let i = 1; i <= 10; i++) rate.read(10 * i, 1000 * i);
    for (let i = 1; i <= 10; i++) rate.read(100 + 100 * i, 10_000 + 1000 * i);
    expect(rate.read(1100, 20_000)).toBeCloseTo(100, 9);
  });
});
