import { describe, expect, it } from 'vitest';
import { plotFraction, zoomRange } from './zoom';

const plot = { left: 56, width: 400 };

describe('zoom', () => {
  it('maps a drag across the plot to the x range under it, whichever way it went', () => {
    expect(zoomRange(156, 356, plot, [0, 800], false)).toEqual([200, 600]);
    expect(zoomRange(356, 156, plot, [0, 800], false)).toEqual([200, 600]);
  });

  it('zooms within a zoomed range', () => {
    expect(zoomRange(56, 256, plot, [200, 600], false)).toEqual([200, 400]);
  });

  it('holds a drag that leaves the plot to its edges', () => {
    expect(plotFraction(0, plot)).toBe(0);
    expect(plotFraction(900, plot)).toBe(1);
    expect(zoomRange(300, 2000, plot, [0, 100], false)).toEqual([61, 100]);
  });

  it('treats a short drag as a click', () => {
    expect(zoomRange(100, 103, plot, [0, 800], false)).toBeNull();
  });

  it('widens a step range to whole steps', () => {
    expect(zoomRange(57, 62, plot, [0, 40], true)).toEqual([0, 1]);
    const [a, b] = zoomRange(100, 300, plot, [1, 768], true) ?? [];
    expect(Number.isInteger(a) && Number.isInteger(b)).toBe(true);
  });
});
