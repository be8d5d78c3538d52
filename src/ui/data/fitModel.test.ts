import { describe, expect, it } from 'vitest';
import { dataFitError, PRESETS, specError } from '../../nn/spec';
import { fitToData } from './fitModel';

const iris = { inputShape: [4], numClasses: 3 };
const mnist = { inputShape: [1, 28, 28], numClasses: 10 };

describe('fitToData', () => {
  it('makes the MLP presets take a table of 4 features and give 3 scores', () => {
    for (const key of ['simplenn', 'mlp']) {
      const fitted = fitToData(PRESETS[key], iris);
      expect(specError(fitted)).toBeNull();
      expect(dataFitError(fitted, iris)).toBeNull();
      expect(fitted.layers.find((l) => l.type === 'Linear')).toMatchObject({ inFeatures: 4 });
      expect(fitted.layers.at(-1)).toMatchObject({ type: 'Linear', outFeatures: 3 });
    }
    // The hidden layers stay as the preset has them.
    expect(fitToData(PRESETS.simplenn, iris).layers[1]).toMatchObject({ name: 'fc1', outFeatures: 128 });
  });

  it('gives a model back unchanged when it fits, and a fitted one back to images (a Flatten first)', () => {
    expect(fitToData(PRESETS.simplenn, mnist)).toBe(PRESETS.simplenn);
    const table = {
      name: 'm',
      inputShape: [4],
      layers: [{ type: 'Linear' as const, inFeatures: 4, outFeatures: 3 }],
    };
    expect(fitToData(table, iris)).toBe(table);
    const back = fitToData(table, mnist);
    expect(back.layers.map((l) => l.type)).toEqual(['Flatten', 'Linear']);
    expect(dataFitError(back, mnist)).toBeNull();
  });

  it('leaves a CNN as it is, for the builder to say why it cannot take a table', () => {
    expect(fitToData(PRESETS.lenet, iris)).toBe(PRESETS.lenet);
    expect(dataFitError(PRESETS.lenet, iris)).toMatch(/the dataset's samples are \[4\]/);
  });
});
