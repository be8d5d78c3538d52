import { describe, expect, it } from 'vitest';
import { StepRate } from './stepRate';

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
    // Faster steps after a validation: measured from the first one after it.
    rate.halt();
    t += 60_000;
    rate.step((t += 10));
    for (let i = 0; i < 10; i++) rate.step((t += 10));
    expect(rate.read()).toBeCloseTo(100, 9);
  });

  it('has no rate before two steps', () => {
    const rate = new StepRate();
    expect(rate.read()).toBe(0);
    rate.step(5);
    expect(rate.read()).toBe(0);
  });
});
