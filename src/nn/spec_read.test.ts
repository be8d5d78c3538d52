import { describe, expect, it } from 'vitest';
import { read } from '../schema';
import { PRESETS } from './spec';
import { modelSpec } from './spec_read';

const refusal = (value: unknown) => {
  try {
    read(modelSpec, value, 'spec');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('read accepted the spec');
};

describe('modelSpec', () => {
  it('reads every preset back exactly, blocks and token inputs included', () => {
    for (const spec of Object.values(PRESETS))
      expect(read(modelSpec, JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('names an unknown layer, field or wrong type by its path in the tree', () => {
    const base = { name: 'm', inputShape: [4] };
    const residual = (layer: unknown) => ({ ...base, layers: [{ type: 'Residual', layers: [layer] }] });
    expect(refusal(residual({ type: 'ReLu' }))).toBe(
      'spec.layers[0].layers[0].type: "ReLu" is not a layer; did you mean ReLU?',
    );
    expect(refusal(residual({ type: 'LeakyReLU', negativeSlope: 'abc' }))).toBe(
      'spec.layers[0].layers[0].negativeSlope: must be a finite number, got "abc"',
    );
    expect(refusal(residual({ type: 'Linear', inFeatures: 4, outFeature: 4 }))).toBe(
      'spec.layers[0].layers[0].outFeature: unknown field; did you mean outFeatures?',
    );
    expect(refusal({ ...base, inputDtype: 'int64', layers: [] })).toBe(
      'spec.inputDtype: must be "int32", got "int64"',
    );
    expect(refusal({ ...base, layers: [{ type: 'Linear', inFeatures: 4, outFeatures: 2.5 }] })).toBe(
      'spec.layers[0].outFeatures: must be an integer, got 2.5',
    );
  });
});
