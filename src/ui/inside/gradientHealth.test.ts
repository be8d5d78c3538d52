import { describe, expect, it } from 'vitest';
import { type HealthPoint, healthNames, healthWarnings, layerOf } from './gradientHealth';

/** A series of values at steps 10, 20, ... */
const pts = (...values: number[]): HealthPoint[] => values.map((value, i) => ({ step: 10 * (i + 1), value }));

/** A healthy layer's scalars, with `patch` over them. */
function series(patch: Record<string, HealthPoint[]> = {}): Record<string, HealthPoint[]> {
  return {
    'Loss/train': pts(2, 1, 0.5),
    'grad_norm/fc1.weight': pts(1, 0.8, 0.6),
    'update_ratio/fc1.weight': pts(2e-3, 1e-3, 1e-3),
    'grad_norm/fc1.bias': pts(0.1, 0.1, 0.1),
    'update_ratio/fc1.bias': pts(Number.POSITIVE_INFINITY, 0.5, 0.3),
    'dead_relu/relu': pts(0.02, 0.05, 0.03),
    ...patch,
  };
}

describe('healthWarnings', () => {
  it('says nothing of a healthy run, nor of a bias that started at zero', () => {
    expect(healthWarnings(series())).toEqual([]);
    expect(healthNames(series(), 'grad_norm/')).toEqual(['fc1.weight', 'fc1.bias']);
    expect(layerOf('features.0.weight')).toBe('features.0');
  });

  it('names a layer whose gradients exploded: a non-finite norm, a norm grown 100-fold, or updates over a tenth of the weights twice', () => {
    const patches: [Record<string, HealthPoint[]>, RegExp][] = [
      [{ 'grad_norm/fc1.weight': pts(1, Number.NaN) }, /at step 20 its gradient norm was NaN/],
      [
        { 'grad_norm/fc1.weight': pts(1, 30, 150) },
        /at step 30 its gradient norm reached 1\.5e\+2, 1\.5e\+2 times its first/,
      ],
      [
        { 'update_ratio/fc1.weight': pts(1e-3, 0.2, 0.5) },
        /at step 30 each step changed its weights by 5\.0e-1 of their size/,
      ],
    ];
    for (const [patch, why] of patches) {
      const [w, ...rest] = healthWarnings(series(patch));
      expect(rest).toEqual([]);
      expect([w.kind, w.layer]).toEqual(['exploding', 'fc1']);
      expect(w.message).toMatch(
        /^fc1: gradients exploded \(fc1\.weight: .*\)\. Try a lower learning rate, gradient clipping/,
      );
      expect(w.message).toMatch(why);
    }
    // One read over a tenth is not yet a warning; nor is a norm grown 50-fold.
    expect(healthWarnings(series({ 'update_ratio/fc1.weight': pts(1e-3, 1e-3, 0.5) }))).toEqual([]);
    expect(healthWarnings(series({ 'grad_norm/fc1.weight': pts(1, 50) }))).toEqual([]);
  });

  it('keeps an explosion in view once the layer has died of it, beside what followed', () => {
    const warnings = healthWarnings(
      series({
        'grad_norm/fc1.weight': pts(1, 2e4, 0, 0, 0),
        'dead_relu/relu': pts(0.02, 0.9, 1, 1, 1),
      }),
    );
    expect(warnings.map((w) => [w.kind, w.layer])).toEqual([
      ['exploding', 'fc1'],
      ['dead', 'relu'],
    ]);
    expect(warnings[0].message).toMatch(/at step 20 its gradient norm reached 2\.0e\+4/);
  });

  it('calls an explosion that ends in dead units an explosion, never vanishing gradients to cure with a higher lr', () => {
    // What Adam at lr 10 or 1e10 logs on a small MLP: the first step replaces the weights (a ratio
    // of 0.999), every unit then outputs 0, and the gradients behind them are 0 from there on.
    const warnings = healthWarnings(
      series({
        'grad_norm/fc1.weight': pts(0.22, 0, 0, 0),
        'update_ratio/fc1.weight': pts(0.999, 1e-9, 1e-10, 1e-10),
        'grad_norm/fc1.bias': pts(0.097, 0, 0, 0),
        'update_ratio/fc1.bias': pts(0.999, 1e-9, 1e-10, 1e-10),
        'dead_relu/relu': pts(0, 1, 1, 1),
      }),
    );
    expect(warnings.map((w) => [w.kind, w.layer])).toEqual([
      ['exploding', 'fc1'],
      ['dead', 'relu'],
    ]);
    expect(warnings[0].message).toMatch(/at step 10 one step changed its weights by 1\.0e\+0 of their size/);
    expect(warnings.map((w) => w.message).join(' ')).not.toMatch(/higher learning rate/);
    // Adam at a high but workable lr moves a wide layer by about half its weights at first: no warning.
    expect(healthWarnings(series({ 'update_ratio/fc1.weight': pts(0.5, 1e-3, 1e-3) }))).toEqual([]);
  });

  it('names a layer whose gradients vanished for three reads in a row', () => {
    const gone = healthWarnings(series({ 'grad_norm/fc1.bias': pts(1e-8, 1e-9, 0) }));
    expect(gone.map((w) => [w.kind, w.layer])).toEqual([['vanishing', 'fc1']]);
    expect(gone[0].message).toMatch(
      /fc1\.bias: its gradient norm has been under 1\.0e-7 for 3 reads.*Kaiming/,
    );
    const still = healthWarnings(series({ 'update_ratio/fc1.weight': pts(1e-7, 1e-7, 1e-8) }));
    expect(still.map((w) => w.kind)).toEqual(['vanishing']);
    expect(healthWarnings(series({ 'grad_norm/fc1.weight': pts(1, 1e-8, 1e-8) }))).toEqual([]);
  });

  it('gives one warning per layer and kind, and names a ReLU with half its units dead', () => {
    const both = series({
      'grad_norm/fc1.weight': pts(1, Number.POSITIVE_INFINITY),
      'grad_norm/fc1.bias': pts(Number.NaN, 1, 1),
      'dead_relu/relu': pts(0.4, 0.6, 0.75),
    });
    const warnings = healthWarnings(both);
    expect(warnings.map((w) => [w.kind, w.layer])).toEqual([
      ['exploding', 'fc1'],
      ['dead', 'relu'],
    ]);
    expect(warnings[0].message).toContain('fc1.weight: at step 20 its gradient norm was Infinity');
    expect(warnings[1].message).toMatch(/^relu: 75% of this ReLU's units output 0 for every sample/);
  });
});
