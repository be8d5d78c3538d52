import { describe, expect, it } from 'vitest';
import { Generator } from '../tensor/random';
import { ConfigError, DEFAULT_CONFIG } from './config';
import {
  applyPoint,
  checkSweep,
  gridValues,
  MAX_SWEEP_RUNS,
  parseSweepValues,
  runName,
  type SweepSpec,
  sweepPoints,
  sweepSize,
} from './sweep';

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('not refused');
};

describe('parseSweepValues', () => {
  it('reads lists of numbers and of choices', () => {
    expect(parseSweepValues('lr', '1e-4, 1e-3,0.01')).toEqual({ kind: 'list', values: [1e-4, 1e-3, 0.01] });
    expect(parseSweepValues('optimizer', 'adam,sgd')).toEqual({ kind: 'list', values: ['adam', 'sgd'] });
    expect(parseSweepValues('seed', '3')).toEqual({ kind: 'list', values: [3] });
  });

  it('reads a log range of numbers and a linear one of whole numbers', () => {
    const lr = parseSweepValues('lr', '1e-4..1e-1x5');
    expect(lr).toEqual({ kind: 'range', low: 1e-4, high: 0.1, count: 5, scale: 'log' });
    // 10^-4, 10^-3.25, 10^-2.5, 10^-1.75, 10^-1, to three significant digits.
    expect(gridValues(lr)).toEqual([0.0001, 0.000562, 0.00316, 0.0178, 0.1]);
    expect(gridValues(parseSweepValues('seed', '1..4'))).toEqual([1, 2, 3, 4]);
    expect(gridValues(parseSweepValues('batchSize', '16..128x3'))).toEqual([16, 72, 128]);
    // Rounded whole numbers that meet are one value.
    expect(gridValues(parseSweepValues('epochs', '1..2x5'))).toEqual([1, 2]);
  });

  it('refuses what is not a list or a range, naming the setting', () => {
    expect(message(() => parseSweepValues('lr', '1e-3,abc'))).toBe(
      'lr expects numbers separated by commas, got "abc"',
    );
    expect(message(() => parseSweepValues('lr', '1e-3,'))).toBe(
      'lr expects numbers separated by commas, got ""',
    );
    expect(message(() => parseSweepValues('optimizer', 'adam,lion'))).toBe(
      'optimizer must be one of adam, adamw, sgd, rmsprop, got "lion"',
    );
    expect(message(() => parseSweepValues('lr', '0.1,0.1'))).toBe('lr lists 0.1 twice');
    expect(message(() => parseSweepValues('lr', '1e-1..1e-4x5'))).toBe(
      'lr: the range 1e-1..1e-4x5 must go from a lower value to a higher one',
    );
    expect(message(() => parseSweepValues('lr', '1e-4..1e-1'))).toBe(
      'lr: a range of numbers needs its count of values, as 1e-4..1e-1x5 (log-spaced)',
    );
    expect(message(() => parseSweepValues('lr', '0..1x3'))).toMatch(/a log range must start above 0/);
    expect(message(() => parseSweepValues('lr', '1e-4..1e-1x1'))).toMatch(/needs x2 or more/);
    expect(message(() => parseSweepValues('lr', 'a..1x3'))).toMatch(
      /"a" in the range a\.\.1x3 is not a number/,
    );
  });
});

describe('sweepPoints', () => {
  const lrs = { field: 'lr', values: { kind: 'list', values: [1e-3, 1e-2] } } as const;
  const seeds = { field: 'seed', values: { kind: 'list', values: [1, 2, 3] } } as const;

  it('expands the grid with the seed fastest, whatever the axes order', () => {
    const spec: SweepSpec = { axes: [seeds, lrs], random: null };
    expect(sweepSize(spec)).toBe(6);
    expect(sweepPoints(spec).map(runName)).toEqual([
      'lr=0.001,seed=1',
      'lr=0.001,seed=2',
      'lr=0.001,seed=3',
      'lr=0.01,seed=1',
      'lr=0.01,seed=2',
      'lr=0.01,seed=3',
    ]);
  });

  it('draws N random runs, each crossed with every seed, the same for the same seed', () => {
    const spec: SweepSpec = {
      axes: [
        { field: 'lr', values: parseSweepValues('lr', '1e-5..1e-1x5') },
        seeds,
        {
          field: 'batchSize',
          values: parseSweepValues('batchSize', '16..64'),
        },
      ],
      random: { count: 4, seed: 7 },
    };
    expect(sweepSize(spec)).toBe(12);
    const draws = (seed: number) => {
      const g = new Generator(seed);
      return sweepPoints(spec, () => g.random());
    };
    const points = draws(7);
    expect(points).toHaveLength(12);
    expect(draws(7)).toEqual(points);
    expect(draws(8)).not.toEqual(points);
    for (const [i, p] of points.entries()) {
      const v = Object.fromEntries(p) as Record<string, number>;
      expect(v.lr).toBeGreaterThanOrEqual(1e-5);
      expect(v.lr).toBeLessThanOrEqual(1e-1);
      expect(Number.isInteger(v.batchSize) && v.batchSize >= 16 && v.batchSize <= 64).toBe(true);
      expect(v.seed).toBe([1, 2, 3][i % 3]);
      // The three seeds of a draw share its other values.
      expect(p.slice(0, 2)).toEqual(points[i - (i % 3)].slice(0, 2));
    }
    // Four different draws (a log-uniform lr over four decades repeats with ~0 chance).
    expect(new Set(points.map((p) => p[0][1])).size).toBe(4);
  });

  it('refuses a setting swept twice, one that cannot be, none, and too many runs', () => {
    expect(message(() => sweepPoints({ axes: [lrs, lrs], random: null }))).toBe('lr is swept twice');
    expect(
      message(() =>
        sweepPoints({
          axes: [{ field: 'betas' as 'lr', values: { kind: 'list', values: [1] } }],
          random: null,
        }),
      ),
    ).toBe('betas cannot be swept');
    expect(message(() => sweepPoints({ axes: [], random: null }))).toMatch(/at least one setting/);
    const wide = { field: 'seed', values: parseSweepValues('seed', `0..${MAX_SWEEP_RUNS}`) } as const;
    expect(message(() => sweepPoints({ axes: [wide], random: null }))).toBe(
      `the sweep makes ${MAX_SWEEP_RUNS + 1} runs, over the ${MAX_SWEEP_RUNS} one sweep may make`,
    );
  });
});

describe('checkSweep', () => {
  it('makes every run config and names each run by its settings', () => {
    const points = sweepPoints({
      axes: [
        { field: 'lr', values: parseSweepValues('lr', '1e-3,1e-2') },
        { field: 'optimizer', values: parseSweepValues('optimizer', 'sgd') },
      ],
      random: null,
    });
    const runs = checkSweep(points, (p) => applyPoint(DEFAULT_CONFIG, p));
    expect(runs.map((r) => [r.name, r.config.lr, r.config.optimizer, r.config.batchSize])).toEqual([
      ['lr=0.001,optimizer=sgd', 0.001, 'sgd', 64],
      ['lr=0.01,optimizer=sgd', 0.01, 'sgd', 64],
    ]);
  });

  it('refuses the whole sweep before any run when one combination cannot train, naming it', () => {
    const points = sweepPoints({
      axes: [
        { field: 'lr', values: parseSweepValues('lr', '1e-3,-1') },
        { field: 'seed', values: parseSweepValues('seed', '1,2') },
      ],
      random: null,
    });
    let made = 0;
    const e = (() => {
      try {
        checkSweep(points, (p) => {
          made++;
          return applyPoint(DEFAULT_CONFIG, p);
        });
      } catch (err) {
        return err as ConfigError;
      }
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e?.message).toBe('run lr=-1,seed=1: the learning rate must be a finite number > 0, got -1');
    expect(e?.problems[0].field).toBe('lr');
    expect(made).toBe(3);
    // A combination refused only together (momentum with adam): also named.
    const clash = sweepPoints({
      axes: [
        { field: 'optimizer', values: parseSweepValues('optimizer', 'sgd,adam') },
        { field: 'momentum', values: parseSweepValues('momentum', '0.9') },
      ],
      random: null,
    });
    expect(message(() => checkSweep(clash, (p) => applyPoint(DEFAULT_CONFIG, p)))).toBe(
      'run optimizer=adam,momentum=0.9: momentum applies to sgd and rmsprop; adam has none (its betas play that part)',
    );
  });
});
