import { describe, expect, it } from 'vitest';
import { StepRate, WINDOW_MS } from './stepRate';

describe('StepRate', () => {
  it('counts steps over their own time, not the first step that compiles', () => {
    const rate = new StepRate();
    // The first step compiles for 30 s; then one step every 10 ms.
    rate.step(30_000);
    for (let i = 1; i <= 50; i++) rate.step(30_000 + 10 * i);
    expect(rate.read()).toBeCloseTo(100, 9);
  });

  it('leaves paused, validating and checkpointing time out, and keeps the last rate over a gap', () => {
    const rate = new StepRate();
    let t = 0;
    for (let i = 0; i < 11; i++) rate.step((t += 20));
    expect(rate.read()).toBeCloseTo(50, 9);
    // Paused for an hour after a step: the next step only starts the clock again.
    rate.halt();
    t += 3_600_000;
    rate.step((t += 20));
    // A read with nothing counted since keeps the last rate, rather than sinking to 0.
    expect(rate.read()).toBeCloseTo(50, 9);
    for (let i = 0; i < 10; i++) rate.step((t += 20));
    expect(rate.read()).toBeCloseTo(50, 9);
    // Faster steps after a validation: counted from the first one after it, beside the earlier
    // reads (30 steps in 500 ms), without the minute it validated for.
    rate.halt();
    t += 60_000;
    rate.step((t += 10));
    for (let i = 0; i < 10; i++) rate.step((t += 10));
    expect(rate.read()).toBeCloseTo(60, 9);
  });

  it('has no rate before two steps', () => {
    const rate = new StepRate();
    expect(rate.read()).toBe(0);
    rate.step(5);
    expect(rate.read()).toBe(0);
  });
});

describe('StepRate over time', () => {
  it('takes the speed over the last few seconds of training, not one jittery logging window', () => {
    const rate = new StepRate();
    let t = 0;
    rate.step(t);
    // Windows of 5 steps that alternate 10 ms and 90 ms (the GPU's work landing in every other):
    // a steady 100 steps/s over both, where each window alone reads 500 or 56.
    const reads: number[] = [];
    for (let w = 0; w < 20; w++) {
      for (let i = 0; i < 5; i++) rate.step((t += w % 2 ? 18 : 2));
      reads.push(rate.read());
    }
    for (const r of reads.slice(1)) {
      expect(r).toBeGreaterThanOrEqual(100);
      expect(r).toBeLessThan(140);
    }
    expect(reads.at(-1)).toBeCloseTo(100, 9);
  });

  it(`forgets speeds older than ${WINDOW_MS / 1000} s of training`, () => {
    const rate = new StepRate();
    let t = 0;
    rate.step(t);
    // 10 s at 10 steps/s, then 10 s at 100 steps/s: the speed is the new one.
    for (let i = 0; i < 100; i++) {
      rate.step((t += 100));
      if (i % 10 === 9) rate.read();
    }
    for (let i = 0; i < 1000; i++) {
      rate.step((t += 10));
      if (i % 100 === 99) rate.read();
    }
    expect(rate.read()).toBeCloseTo(100, 9);
  });
});
