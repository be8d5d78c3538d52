import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator } from '../tensor/random';
import { randomSplit, trainValidationSplit } from './split';

describe('trainValidationSplit', () => {
  it('splits MNIST 55,000 / 5,000, the same for the same seed and differently for another', () => {
    const a = trainValidationSplit(60000, 5000, 42);
    expect(a.train.length).toBe(55000);
    expect(a.validation.length).toBe(5000);
    const all = new Set([...a.train, ...a.validation]);
    expect(all.size).toBe(60000);
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(59999);

    const b = trainValidationSplit(60000, 5000, 42);
    expect(b.validation).toEqual(a.validation);
    expect(b.train).toEqual(a.train);
    expect(trainValidationSplit(60000, 5000, 43).validation).not.toEqual(a.validation);
  });

  it('takes a fraction and refuses impossible sizes', () => {
    expect(trainValidationSplit(100, 0.1, 1).validation.length).toBe(10);
    expect(trainValidationSplit(10, 0).validation.length).toBe(0);
    expect(() => trainValidationSplit(10, 11)).toThrow(RangeError);
    expect(() => trainValidationSplit(10, 2.5)).toThrow(/count 0..10 or a fraction/);
  });
});

describe('randomSplit', () => {
  it('matches a permutation from the same seeded Generator, cut in order', () => {
    const perm = new Generator(7).randperm(10);
    const [x, y] = randomSplit(10, [6, 4], 7);
    expect([...x, ...y]).toEqual([...perm]);
  });

  it('hands out the remainder of fractional lengths from the first piece, like PyTorch', () => {
    expect(randomSplit(10, [1 / 3, 1 / 3, 1 / 3]).map((p) => p.length)).toEqual([4, 3, 3]);
    expect(() => randomSplit(10, [3, 3])).toThrow(/counts summing to 10 or fractions/);
    expect(() => randomSplit(-1, [0])).toThrow(RangeError);
  });

  it('advances a Generator passed in, so successive splits differ', () => {
    const g = new Generator(3);
    const first = randomSplit(50, [25, 25], g);
    const second = randomSplit(50, [25, 25], g);
    expect(second[0]).not.toEqual(first[0]);
  });

  it('always partitions 0..n-1 deterministically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.nat(), fc.nat(), (n, cut, seed) => {
        const k = n === 0 ? 0 : cut % (n + 1);
        const [a, b] = randomSplit(n, [k, n - k], seed);
        expect([...a, ...b].sort((p, q) => p - q)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(randomSplit(n, [k, n - k], seed)).toEqual([a, b]);
      }),
    );
  });
});
