/**
 * Module semantics against PyTorch: dotted parameter names, state-dict keys, order and shapes of
 * the presets (as torch 1.13 lists them for the same nn.Sequential), strict loading that reports
 * every problem and changes nothing, train()/eval() recursion, and the default initialisation.
 */
import { describe, expect, test } from 'vitest';
import { F } from '../autograd';
import { getDefaultBackend, manualSeed } from '../tensor/default';
import * as ops from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { Sequential } from './container';
import { Conv2d } from './conv';
import { Linear } from './linear';
import { buildModel } from './models';
import { type HostTensor, Module, StateDictError } from './module';
import { BatchNorm1d } from './norm';
import { countParameters, PRESETS } from './spec';

/**
 * state_dict() keys and shapes of the same models built with torch.nn (torch 1.13), e.g. for mlp:
 * nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.2), ...).
 */
const TORCH_KEYS: Record<string, [string, number[]][]> = {
  simplenn: [
    ['fc1.weight', [128, 784]],
    ['fc1.bias', [128]],
    ['fc2.weight', [10, 128]],
    ['fc2.bias', [10]],
  ],
  mlp: [
    ['1.weight', [256, 784]],
    ['1.bias', [256]],
    ['2.weight', [256]],
    ['2.bias', [256]],
    ['2.running_mean', [256]],
    ['2.running_var', [256]],
    ['2.num_batches_tracked', []],
    ['5.weight', [128, 256]],
    ['5.bias', [128]],
    ['6.weight', [128]],
    ['6.bias', [128]],
    ['6.running_mean', [128]],
    ['6.running_var', [128]],
    ['6.num_batches_tracked', []],
    ['9.weight', [10, 128]],
    ['9.bias', [10]],
  ],
  lenet: [
    ['0.weight', [6, 1, 5, 5]],
    ['0.bias', [6]],
    ['3.weight', [16, 6, 5, 5]],
    ['3.bias', [16]],
    ['7.weight', [120, 400]],
    ['7.bias', [120]],
    ['9.weight', [84, 120]],
    ['9.bias', [84]],
    ['11.weight', [10, 84]],
    ['11.bias', [10]],
  ],
  cnn: [
    ['0.weight', [16, 1, 3, 3]],
    ['1.weight', [16]],
    ['1.bias', [16]],
    ['1.running_mean', [16]],
    ['1.running_var', [16]],
    ['1.num_batches_tracked', []],
    ['4.weight', [32, 16, 3, 3]],
    ['5.weight', [32]],
    ['5.bias', [32]],
    ['5.running_mean', [32]],
    ['5.running_var', [32]],
    ['5.num_batches_tracked', []],
    ['10.weight', [128, 1568]],
    ['10.bias', [128]],
    ['12.weight', [10, 128]],
    ['12.bias', [10]],
  ],
};

/** A nested model: a named Sequential child and a Linear attribute. */
class Net extends Module {
  encoder = new Sequential(new Linear(4, 3), new BatchNorm1d(3));
  head = new Linear(3, 2, { bias: false });

  forward(x: Tensor): Tensor {
    return this.head.forward(F.relu(this.encoder.forward(x)));
  }
}

function modules(m: Module): Module[] {
  return [m, ...[...m.namedChildren()].flatMap(([, c]) => modules(c))];
}

describe('names and state dicts', () => {
  test('namedParameters gives dotted names, own parameters first, in assignment order', () => {
    const net = new Net();
    expect([...net.namedParameters()].map(([k, p]) => [k, p.shape])).toEqual([
      ['encoder.0.weight', [3, 4]],
      ['encoder.0.bias', [3]],
      ['encoder.1.weight', [3]],
      ['encoder.1.bias', [3]],
      ['head.weight', [2, 3]],
    ]);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect([...net.namedBuffers()].map(([k]) => k)).toEqual([
      'encoder.1.running_mean',
      'encoder.1.running_var',
      'encoder.1.num_batches_tracked',
    ]);
  });

  for (const [preset, want] of Object.entries(TORCH_KEYS)) {
    test(`${preset}: stateDict keys, order and shapes match torch`, () => {
      const model = buildModel(PRESETS[preset]);
      expect([...model.stateDict()].map(([k, t]) => [k, t.shape])).toEqual(want);
      for (const [k, t] of model.stateDict())
        expect([k, t.dtype]).toEqual([k, k.endsWith('num_batches_tracked') ? 'int32' : 'float32']);
      expect(model.parameters().reduce((n, p) => n + p.size, 0)).toBe(countParameters(PRESETS[preset]));
    });
  }

  test('SimpleNN: fc1.weight [128, 784], fc1.bias, fc2.weight [10, 128], fc2.bias', async () => {
    const sd = await buildModel(PRESETS.simplenn).stateDictData();
    expect([...sd.keys()]).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(sd.get('fc1.weight')!.shape).toEqual([128, 784]);
    expect(sd.get('fc1.weight')!.data.length).toBe(128 * 784);
  });

  test('BatchNorm buffers start at running_mean 0, running_var 1, num_batches_tracked 0', async () => {
    const sd = await new BatchNorm1d(5).stateDictData();
    expect([...sd.keys()]).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(Array.from(sd.get('weight')!.data)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(sd.get('bias')!.data)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(sd.get('running_mean')!.data)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(sd.get('running_var')!.data)).toEqual([1, 1, 1, 1, 1]);
    expect(sd.get('num_batches_tracked')).toEqual({ shape: [], dtype: 'int32', data: new Int32Array([0]) });
  });
});

describe('loadStateDict', () => {
  test('round trip: a second model loaded from the first holds the same values and computes the same', async () => {
    manualSeed(1);
    const a = buildModel(PRESETS.mlp);
    const b = buildModel(PRESETS.mlp);
    const sdA = await a.stateDictData();
    expect(Array.from((await b.stateDictData()).get('1.weight')!.data)).not.toEqual(
      Array.from(sdA.get('1.weight')!.data),
    );
    b.loadStateDict(sdA);
    expect(await b.stateDictData()).toEqual(sdA);
    a.eval();
    b.eval();
    const x = ops.tensor(
      getDefaultBackend(),
      Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i)),
      [2, 1, 28, 28],
    );
    expect(Array.from(await b.forward(x).data())).toEqual(Array.from(await a.forward(x).data()));
  });

  test('num_batches_tracked continues from the loaded count, loaded through a parent or on the layer itself', async () => {
    const backend = getDefaultBackend();
    const x = ops.tensor(
      backend,
      Float32Array.from({ length: 4 * 784 }, (_, i) => Math.cos(i)),
      [4, 1, 28, 28],
    );
    const source = buildModel(PRESETS.mlp);
    const sd = await source.stateDictData();
    sd.set('2.num_batches_tracked', { shape: [], dtype: 'int32', data: new Int32Array([5]) });
    const model = buildModel(PRESETS.mlp);
    model.loadStateDict(sd);
    // A training step straight after loading, as a resumed run does.
    model.forward(x);
    const after = await model.stateDictData();
    expect(Array.from(after.get('2.num_batches_tracked')!.data)).toEqual([6]);
    expect(Array.from(after.get('6.num_batches_tracked')!.data)).toEqual([1]);
    const bn = new BatchNorm1d(3);
    const own = await bn.stateDictData();
    own.set('num_batches_tracked', { shape: [], dtype: 'int32', data: new Int32Array([9]) });
    bn.loadStateDict(own);
    bn.forward(ops.tensor(backend, [1, 2, 3, 4, 5, 7], [2, 3]));
    expect(Array.from(await bn.buffer('num_batches_tracked').data())).toEqual([10]);
  });

  test('accepts a plain object as well as a Map', async () => {
    const a = new Linear(3, 2);
    const b = new Linear(3, 2);
    b.loadStateDict(Object.fromEntries(await a.stateDictData()));
    expect(await b.stateDictData()).toEqual(await a.stateDictData());
  });

  test('strict: one error lists every missing, unexpected and mismatched key, and nothing changes', async () => {
    const model = buildModel(PRESETS.simplenn);
    const before = await model.stateDictData();
    const sd = new Map<string, HostTensor>(before);
    sd.delete('fc1.bias');
    sd.delete('fc2.weight');
    sd.set('fc3.weight', { shape: [1], dtype: 'float32', data: new Float32Array(1) });
    sd.set('fc1.weight', { shape: [128, 785], dtype: 'float32', data: new Float32Array(128 * 785) });
    sd.set('fc2.bias', { shape: [10], dtype: 'float32', data: new Float32Array(10).fill(7) });
    let error: unknown;
    try {
      model.loadStateDict(sd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const message = (error as Error).message;
    expect(message).toContain('Error(s) in loading state_dict for SimpleNN');
    expect(message).toContain('Missing key(s) in state_dict: "fc1.bias", "fc2.weight".');
    expect(message).toContain('Unexpected key(s) in state_dict: "fc3.weight".');
    expect(message).toContain(
      'size mismatch for fc1.weight: copying a param with shape [128,785] from checkpoint, the shape in current model is [128,784]',
    );
    // fc2.bias was valid, but an all-or-nothing load must not have copied it.
    expect(await model.stateDictData()).toEqual(before);
  });

  test('non-strict: missing and unexpected keys are ignored, matching ones are loaded, size mismatches still fail', async () => {
    const model = buildModel(PRESETS.simplenn);
    const before = await model.stateDictData();
    const bias = { shape: [10], dtype: 'float32' as const, data: new Float32Array(10).fill(0.5) };
    model.loadStateDict({ 'fc2.bias': bias, extra: bias }, false);
    const after = await model.stateDictData();
    expect(Array.from(after.get('fc2.bias')!.data)).toEqual(new Array(10).fill(0.5));
    expect(after.get('fc1.weight')).toEqual(before.get('fc1.weight'));
    expect(() => model.loadStateDict({ 'fc2.bias': { ...bias, shape: [2, 5] } }, false)).toThrow(
      /size mismatch for fc2.bias/,
    );
  });

  test('a value count that disagrees with the stated shape is a mismatch', () => {
    const model = new Linear(2, 2);
    expect(() =>
      model.loadStateDict({
        weight: { shape: [2, 2], dtype: 'float32', data: new Float32Array(3) },
        bias: { shape: [2], dtype: 'float32', data: new Float32Array(2) },
      }),
    ).toThrow(/size mismatch for weight/);
  });
});

describe('train and eval', () => {
  test('train()/eval() reach every descendant and return the module', () => {
    const model = buildModel(PRESETS.cnn);
    const net = new Net();
    for (const m of [model, net]) {
      expect(modules(m).every((x) => x.training)).toBe(true);
      expect(m.eval()).toBe(m);
      expect(modules(m).every((x) => !x.training)).toBe(true);
      expect(m.train()).toBe(m);
      expect(modules(m).every((x) => x.training)).toBe(true);
      m.train(false);
      expect(modules(m).some((x) => x.training)).toBe(false);
    }
    expect(modules(model).length).toBe(1 + 13);
  });

  test('zeroGrad sets every gradient to null', () => {
    const net = new Net();
    const x = ops.tensor(
      getDefaultBackend(),
      Float32Array.from({ length: 8 }, (_, i) => i - 3),
      [2, 4],
    );
    F.sum(net.forward(x)).backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('initialisation', () => {
  test("PyTorch's defaults: kaiming_uniform(a=sqrt(5)) gives |w| <= 1/sqrt(fan_in), bias the same, filling the range", async () => {
    manualSeed(0);
    const layers: [Module, number][] = [
      [new Linear(784, 128), 784],
      [new Linear(3, 1000), 3],
      [new Conv2d(6, 16, 5), 150],
      [new Conv2d(1, 32, 3), 9],
    ];
    for (const [layer, fanIn] of layers) {
      const bound = 1 / Math.sqrt(fanIn);
      const sd = await layer.stateDictData();
      for (const key of ['weight', 'bias']) {
        const values = Array.from(sd.get(key)!.data);
        const maxAbs = Math.max(...values.map(Math.abs));
        expect(maxAbs).toBeLessThanOrEqual(Math.fround(bound));
        // Uniform over the whole range: the largest magnitude is near the bound, the mean near 0.
        expect(maxAbs).toBeGreaterThan(bound * (values.length > 100 ? 0.95 : 0.5));
        expect(Math.abs(values.reduce((s, v) => s + v, 0) / values.length)).toBeLessThan(
          bound * (values.length > 100 ? 0.1 : 0.6),
        );
      }
    }
  });

  test('manualSeed fixes the initial weights', async () => {
    manualSeed(42);
    const a = await buildModel(PRESETS.lenet).stateDictData();
    manualSeed(42);
    const b = await buildModel(PRESETS.lenet).stateDictData();
    expect(b).toEqual(a);
  });
});
