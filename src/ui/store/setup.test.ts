import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS, specError } from '../../nn/spec';
import { DEFAULT_CONFIG } from '../../train/config';
import {
  decodeSetup,
  encodeSetup,
  hashSetup,
  readDatasetChoice,
  readDraft,
  readSetup,
  setupLink,
} from './setup';

const setup = {
  model: { ...PRESETS.lenet, name: 'LeNet-5 · édité' },
  config: {
    ...DEFAULT_CONFIG,
    optimizer: 'sgd' as const,
    momentum: 0.9,
    scheduler: { name: 'step' as const, stepSize: 2, gamma: 0.5 },
  },
};

describe('setups in links and storage', () => {
  it('comes back from a link exactly as it went in, names in any script', () => {
    const link = setupLink('http://localhost/kiln/', setup);
    expect(link).toMatch(/^http:\/\/localhost\/kiln\/#setup=[A-Za-z0-9_-]+$/);
    const text = hashSetup(new URL(link).hash);
    expect(text).toBe(encodeSetup(setup));
    expect(decodeSetup(text ?? '')).toEqual(setup);
    expect(hashSetup('#other=1')).toBeNull();
  });

  it('fills settings an older link lacks with the defaults', () => {
    expect(readSetup({ model: PRESETS.simplenn, config: { epochs: 7 } }).config).toEqual({
      ...DEFAULT_CONFIG,
      epochs: 7,
    });
  });

  it('reads back the kept draft as it was left: a layer that does not fit, and every valid setting', () => {
    // fc2 takes 100 features where fc1 gives 128: a shape the builder marks and Train refuses.
    const [flatten, fc1, relu, fc2] = PRESETS.simplenn.layers;
    const model = { ...PRESETS.simplenn, layers: [flatten, fc1, relu, { ...fc2, inFeatures: 100 }] };
    const config = { ...DEFAULT_CONFIG, lr: 0.01, epochs: 2, seed: 42 };
    const problem = specError(model);
    expect(problem).toMatch(/^layer fc2 \(Linear\): /);
    // A link's setup is refused whole, as before; the kept draft is not.
    expect(() => readSetup({ model, config })).toThrow(problem ?? '');
    expect(readDraft({ model, config })).toEqual({ model, modelProblem: problem, config });
    // A setting out of range costs only itself: it falls back to its default.
    expect(readDraft({ model, config: { ...config, batchSize: -3 } }).config).toEqual(config);
    // A model that is not one at all (an older version's) is left out; the settings still come back.
    expect(readDraft({ model: { name: 'x' }, config })).toEqual({ modelProblem: null, config });
    expect(readDraft({ model: PRESETS.lenet, config: 'x' })).toEqual({
      model: PRESETS.lenet,
      modelProblem: null,
    });
    expect(readDraft(null)).toEqual({ modelProblem: null });
  });

  it("reads an older setup's MNIST normalisation, which every setup held before it could be set, as computed", () => {
    const old = readSetup({ model: PRESETS.simplenn, config: { mean: 0.1307, std: 0.3081 } }).config;
    expect([old.mean, old.std]).toEqual([null, null]);
    const given = readSetup({ model: PRESETS.simplenn, config: { mean: 0.5, std: 0.25 } }).config;
    expect([given.mean, given.std]).toEqual([0.5, 0.25]);
  });

  it('refuses a damaged or wrong setup with one sentence saying why', () => {
    const bad =
      (model: unknown, config: unknown = {}) =>
      () =>
        readSetup({ model, config });
    expect(() => decodeSetup('%%%')).toThrow('it is damaged');
    expect(() => decodeSetup(btoa('{"model":'))).toThrow('it is damaged');
    expect(() => readSetup(null)).toThrow('it holds no model and settings');
    expect(bad(null)).toThrow('model: must be an object, got null');
    expect(bad({ ...PRESETS.simplenn, inputShape: [0] })).toThrow(
      'model.inputShape[0]: must be a positive integer, got 0',
    );
    expect(bad({ ...PRESETS.simplenn, layers: [{ type: 'Transformer' }] })).toThrow(
      'model.layers[0].type: "Transformer" is not a layer',
    );
    expect(bad({ ...PRESETS.simplenn, layers: [{ type: 'Relu' }] })).toThrow(
      'model.layers[0].type: "Relu" is not a layer; did you mean ReLU?',
    );
    expect(bad({ ...PRESETS.simplenn, layers: [{ type: 'ReLU', name: 'x = 1\nimport os' }] })).toThrow(
      'model.layers[0].name: must be a Python identifier or an index, got "x = 1\\nimport os"',
    );
    expect(bad({ ...PRESETS.simplenn, layers: [{ type: 'LeakyReLU', negativeSlope: 'abc' }] })).toThrow(
      'model.layers[0].negativeSlope: must be a finite number, got "abc"',
    );
    expect(
      bad({ ...PRESETS.simplenn, layers: [{ type: 'BatchNorm1d', numFeatures: 784, eps: -1 }] }),
    ).toThrow('model: layer 0 (BatchNorm1d): eps must be > 0, got -1');
    expect(
      bad({ ...PRESETS.simplenn, layers: [{ type: 'Residual', layers: [{ type: 'ReLU', slope: 1 }] }] }),
    ).toThrow('model.layers[0].layers[0].slope: unknown field (the fields are type, name)');
    expect(bad({ ...PRESETS.simplenn, layers: [{ type: 'Repeat', times: '2', layers: [] }] })).toThrow(
      'model.layers[0].times: must be an integer from 1 to 1000, got "2"',
    );
    expect(bad({ ...PRESETS.simplenn, layers: [] })).toThrow('model: the model has no layers');
    expect(bad(PRESETS.simplenn, { lr: -1 })).toThrow(
      'config: the learning rate must be a finite number > 0',
    );
    expect(bad(PRESETS.simplenn, JSON.parse('{"__proto__": {"lr": 1}}'))).toThrow(
      'config.__proto__: "__proto__" is not allowed as a key',
    );
    expect(bad(PRESETS.simplenn, { wings: 2 })).toThrow('config.wings: "wings" is not a setting');
  });

  it('reads the kept dataset choice, MNIST or a cached dataset by name, and nothing else', () => {
    const choice = (dataset: unknown) => readDatasetChoice({ ...setup, dataset });
    expect(choice({ kind: 'builtin', id: 'mnist' })).toEqual({ kind: 'builtin', id: 'mnist' });
    expect(choice({ kind: 'cached', name: 'iris' })).toEqual({ kind: 'cached', name: 'iris' });
    expect(readDatasetChoice(setup)).toBeNull();
    for (const bad of [
      { kind: 'builtin', id: 'cifar' },
      { kind: 'cached', name: '' },
      { kind: 'files' },
      'iris',
    ])
      expect(choice(bad)).toBeNull();
  });
});

describe('links made before the layer tree', () => {
  it('open as they were: a link from Kiln at 2c298a2 (CNN preset with a LeakyReLU, SGD)', () => {
    const text = readFileSync(join(import.meta.dirname, 'fixtures/setup-link-before-tree.txt'), 'utf8');
    const old = decodeSetup(text);
    expect(old.model.name).toBe('CNN with BatchNorm');
    expect(old.model.layers.at(-2)).toEqual({ type: 'LeakyReLU', negativeSlope: 0.2 });
    expect(old.config).toMatchObject({ optimizer: 'sgd', momentum: 0.9, lr: 0.003 });
    expect(specError(old.model)).toBeNull();
  });
});
