import { DEFAULT_CONFIG } from 'kiln/config';
import { PRESETS } from 'kiln/spec';
import { describe, expect, it } from 'vitest';
import { contrastRatio } from '../color';
import type { RunRecord } from '../store/runsSlice';
import {
  brushOf,
  brushSpan,
  brushText,
  groupRuns,
  groupStats,
  hparamOf,
  makeAxis,
  passesBrushes,
  rampColor,
  varyingHparams,
} from './hparams';

/** A finished run with these settings and final val accuracy. */
const run = (name: string, config: Partial<typeof DEFAULT_CONFIG>, valAcc: number | null) =>
  ({
    id: name,
    name,
    model: PRESETS.simplenn,
    dataset: 'mnist',
    config: { ...DEFAULT_CONFIG, ...config },
    series: {},
    lastEpoch: valAcc === null ? null : { epoch: 1, valAcc, valLoss: 1 - valAcc },
  }) as unknown as RunRecord;

const runs = [
  run('a', { lr: 1e-4, seed: 1, optimizer: 'adam' }, 0.8),
  run('b', { lr: 1e-4, seed: 2, optimizer: 'adam' }, 0.84),
  run('c', { lr: 1e-2, seed: 1, optimizer: 'sgd' }, 0.95),
  run('d', { lr: 1e-1, seed: 2, optimizer: 'sgd' }, null),
];

describe('the hyperparameter axes', () => {
  it('draws an axis for each setting that varies, and none for those all runs share', () => {
    expect(varyingHparams(runs).map((h) => h.key)).toEqual(['lr', 'optimizer', 'seed']);
    expect(varyingHparams([runs[0]])).toEqual([]);
    // A normalisation computed on each run's own split differs by seed, unchosen: no axis.
    const measured = runs.map((r, i) => ({ ...r, config: { ...r.config, mean: 0.13 + i / 1000 } }));
    expect(varyingHparams(measured).map((h) => h.key)).toEqual(['lr', 'optimizer', 'seed']);
  });

  it('scales values that span decades (lr) on a log axis, ticks at the ends and the decades', () => {
    const axis = makeAxis('lr', [1e-4, 1e-2, 1e-1]);
    expect(axis.kind).toBe('log');
    expect(axis.position(1e-4)).toBe(0);
    expect(axis.position(1e-1)).toBe(1);
    expect(axis.position(1e-2)).toBeCloseTo(2 / 3, 12);
    expect(axis.position(0)).toBeNull();
    expect(axis.valueAt(1 / 3)).toBeCloseTo(1e-3, 15);
    expect(axis.ticks.map((t) => t.label)).toEqual(['1e-4', '0.001', '0.01', '0.1']);
  });

  it('keeps a narrow range linear, a constant in the middle, and non-finite values off it', () => {
    const batch = makeAxis('batchSize', [32, 64, 48]);
    expect(batch.kind).toBe('linear');
    expect(batch.position(48)).toBe(0.5);
    expect(batch.ticks[0]).toEqual({ at: 0, label: '32' });
    expect(batch.ticks.at(-1)).toEqual({ at: 1, label: '64' });
    expect(makeAxis('seed', [1, 2]).ticks.map((t) => t.label)).toEqual(['1', '2']);
    // The ends are labelled first; an inner tick too close to one is left out.
    expect(makeAxis('valAcc', [0.49, 0.72]).ticks.map((t) => t.label)).toEqual([
      '0.49',
      '0.55',
      '0.6',
      '0.65',
      '0.7',
      '0.72',
    ]);
    expect(makeAxis('momentum', [0, 0.9]).ticks.length).toBeGreaterThan(2);
    const loss = makeAxis('valLoss', [0.3, 0.3, Number.NaN, null]);
    expect(loss.position(0.3)).toBe(0.5);
    expect(loss.position(Number.NaN)).toBeNull();
    expect(makeAxis('lr', [-1, 10]).kind).toBe('linear');
  });

  it('spreads text values evenly as categories, numbers among them in order', () => {
    const axis = makeAxis('clipNorm', ['off', 2, 10, 'off']);
    expect(axis.kind).toBe('category');
    expect(axis.categories).toEqual(['2', '10', 'off']);
    expect(axis.position(10)).toBe(0.5);
    expect(axis.position('off')).toBe(1);
    expect(axis.position('on')).toBeNull();
    expect(makeAxis('optimizer', ['adam']).position('adam')).toBe(0.5);
  });
});

describe('brushing', () => {
  const lr = makeAxis('lr', runs.map(hparamOf('lr')!.value));
  const optimizer = makeAxis('optimizer', runs.map(hparamOf('optimizer')!.value));
  const keep = (...brushes: Parameters<typeof passesBrushes>[1]) =>
    runs.filter((r) => passesBrushes(r, brushes)).map((r) => r.name);

  it('keeps the runs whose value lies under a drag on a numeric axis, in either direction', () => {
    const low = brushOf(lr, 0.5, -0.2)!;
    expect(keep(low)).toEqual(['a', 'b']);
    expect(brushText(low)).toBe('lr 1e-4 to 0.00316');
    // A brush from a tick to a tick keeps the values drawn on them.
    expect(keep(brushOf(lr, lr.position(1e-2)!, 1)!)).toEqual(['c', 'd']);
    expect(brushSpan(lr, low)).toEqual([0, 0.5]);
  });

  it('keeps the categories a drag covers, and every brush must pass', () => {
    const sgd = brushOf(optimizer, 0.9, 1)!;
    expect(sgd).toEqual({ key: 'optimizer', values: ['sgd'] });
    expect(keep(sgd)).toEqual(['c', 'd']);
    expect(brushOf(optimizer, 0.2, 0.8)).toBeNull();
    expect(brushSpan(optimizer, sgd)).toEqual([0.5, 1]);
    expect(keep(sgd, brushOf(lr, 0, lr.position(1e-2)!)!)).toEqual(['c']);
  });

  it('fails a run without a value on a brushed metric, and ignores a brush on an unknown key', () => {
    expect(keep({ key: 'valAcc', lo: 0.5, hi: 1 })).toEqual(['a', 'b', 'c']);
    expect(keep({ key: 'no such setting', lo: 0, hi: 1 })).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('groups', () => {
  it('groups runs by a setting, in its order, with the mean, min and max of a metric', () => {
    const groups = groupRuns(runs, hparamOf('lr')!);
    expect(groups.map((g) => [g.label, g.runs.map((r) => r.name)])).toEqual([
      ['1e-4', ['a', 'b']],
      ['0.01', ['c']],
      ['0.1', ['d']],
    ]);
    const acc = groupStats(groups[0].runs.map((r) => r.lastEpoch?.valAcc ?? null))!;
    expect(acc.mean).toBeCloseTo(0.82, 12);
    expect([acc.min, acc.max, acc.n]).toEqual([0.8, 0.84, 2]);
  });

  it('leaves out values that are missing or not finite, and has no statistics without any', () => {
    expect(groupStats([1, Number.NaN, null, 3, Number.POSITIVE_INFINITY])).toEqual({
      mean: 2,
      min: 1,
      max: 3,
      n: 2,
    });
    expect(groupStats([null, Number.NaN])).toBeNull();
  });
});

describe('the metric colours', () => {
  it('run from the first stop to the last, each at 3:1 or more on both page surfaces (WCAG for graphics)', () => {
    expect(rampColor(0)).toBe('#2f6fd0');
    expect(rampColor(1)).toBe('#d9590b');
    expect(rampColor(Number.NaN)).toBe('#2f6fd0');
    for (let t = 0; t <= 1.0001; t += 0.05)
      for (const surface of ['#ffffff', '#1a1d23'])
        expect(contrastRatio(rampColor(t), surface), `${rampColor(t)} on ${surface}`).toBeGreaterThanOrEqual(
          3,
        );
  });
});
