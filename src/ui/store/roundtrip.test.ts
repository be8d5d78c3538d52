/**
 * The page reads back what Kiln writes: an uploaded checkpoint's long history becomes its series in
 * linear time, and share links give back their setup; a setup no link can carry is refused naming
 * the limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../nn/spec';
import { DEFAULT_CONFIG, type TrainConfig } from '../../train/config';
import { longHistory } from '../../train/testing';
import { appendScalars } from './runsSlice';
import { decodeSetup, encodeSetup, MAX_LINK_CHARS } from './setup';

const SPEC: ModelSpec = {
  name: 'Tiny',
  inputShape: [4],
  layers: [
    { type: 'Linear', name: 'fc1', inFeatures: 4, outFeatures: 5 },
    { type: 'ReLU' },
    { type: 'Linear', name: 'fc2', inFeatures: 5, outFeatures: 3 },
  ],
};
const CONFIG: TrainConfig = { ...DEFAULT_CONFIG, epochs: 1, batchSize: 8 };

describe('the page reads back what Kiln writes', () => {
  it("an uploaded checkpoint's 200,000-point history becomes its series in linear time", () => {
    const history = longHistory(200_000);
    const series = appendScalars({}, history, 100, 1);
    expect(series['Loss/train'].length).toBe(100_000);
    expect(series.learning_rate[3]).toMatchObject({ step: 7, epoch: 0.07 });
    expect(Number.isNaN(series.learning_rate[3].value)).toBe(true);
  });

  it('a share link gives back its setup, for any name and a model of the 1,000 layers a setup may have', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 100 }),
        fc.double({ min: 1e-8, max: 10, noNaN: true }),
        (name, lr) => {
          const setup = { model: { ...SPEC, name: name.replace(/[\n\r]/g, '') }, config: { ...CONFIG, lr } };
          expect(decodeSetup(encodeSetup(setup))).toEqual(setup);
        },
      ),
      { numRuns: 100 },
    );
    const deep: ModelSpec = {
      name: 'Deep',
      inputShape: [4],
      layers: [
        ...Array.from({ length: 999 }, () => ({ type: 'ReLU' as const })),
        { type: 'Linear', name: 'fc', inFeatures: 4, outFeatures: 3 },
      ],
    };
    expect(decodeSetup(encodeSetup({ model: deep, config: CONFIG })).model.layers.length).toBe(1000);
  });

  it('refuses a setup too long for a link, naming the limit', () => {
    const huge: ModelSpec = {
      ...SPEC,
      layers: [...Array.from({ length: 120_000 }, () => ({ type: 'ReLU' as const })), ...SPEC.layers],
    };
    expect(() => encodeSetup({ model: huge, config: CONFIG })).toThrow(
      new RegExp(`characters, over the ${MAX_LINK_CHARS} a link can carry`),
    );
    expect(() => decodeSetup('A'.repeat(MAX_LINK_CHARS + 1))).toThrow(/over the 2097152 a link can carry/);
  });
});
