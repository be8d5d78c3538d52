import { describe, expect, it } from 'vitest';
import { admit, HISTOGRAM_BUDGET_BYTES, HISTOGRAM_BUDGET_TEXT, histogramBytes } from './keptHistograms';

describe('the histograms budget', () => {
  it('drops the oldest other runs until the new one fits, and never the one just stored', () => {
    const ledger = {
      a: { createdAt: 1, bytes: 40 },
      b: { createdAt: 3, bytes: 40 },
      c: { createdAt: 2, bytes: 0, notKept: 'evicted' as const },
    };
    const { ledger: next, drop } = admit(ledger, 'd', { createdAt: 0, bytes: 50 }, 100);
    // d is the oldest by creation, yet just stored: a (then the oldest) goes.
    expect(drop).toEqual(['a']);
    expect(next).toEqual({
      a: { createdAt: 1, bytes: 0, notKept: 'evicted' },
      b: { createdAt: 3, bytes: 40 },
      c: { createdAt: 2, bytes: 0, notKept: 'evicted' },
      d: { createdAt: 0, bytes: 50 },
    });
    // Stored again, larger: its own earlier bytes are replaced, not added.
    expect(admit(next, 'd', { createdAt: 0, bytes: 60 }, 100).drop).toEqual([]);
    expect(admit(next, 'd', { createdAt: 0, bytes: 61 }, 100).drop).toEqual(['b']);
  });

  it('keeps none of a run over the budget alone, and drops what it had stored', () => {
    const ledger = { a: { createdAt: 1, bytes: 10 } };
    expect(admit(ledger, 'x', { createdAt: 2, bytes: 101 }, 100)).toEqual({
      ledger: { a: { createdAt: 1, bytes: 10 }, x: { createdAt: 2, bytes: 0, notKept: 'too-large' } },
      drop: [],
    });
    expect(admit(ledger, 'a', { createdAt: 1, bytes: 101 }, 100).drop).toEqual(['a']);
  });

  it("counts a run's bins and a fixed share per point and tag; says its budget as it is", () => {
    const point = { counts: new Uint32Array(64) } as never;
    expect(histogramBytes({ ab: [point, point] })).toBe(4 + 2 * (256 + 80));
    expect(HISTOGRAM_BUDGET_TEXT).toBe(`${HISTOGRAM_BUDGET_BYTES / 1024 / 1024} MB`);
  });
});
