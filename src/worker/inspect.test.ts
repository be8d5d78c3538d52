/**
 * inspect() on the cpu reference: each layer's output is what the layers up to it compute (checked
 * against the functional ops and the model's own fused forward), named and shaped as PyTorch names
 * them, capped at MAX_CHANNELS; the weights are the first Conv2d's filters or, for an MLP, the first
 * Linear's rows as images; and no tensor outlives the call. The session answers it for an uploaded model.
 */
import { expect, it } from 'vitest';
import { F } from '../autograd';
import { buildModel } from '../nn';
import type { Conv2d } from '../nn/conv';
import { type ModelSpec, parseSpec } from '../nn/spec';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { assertClose, randnValues } from '../tensor/testing';
import { stateDictToSafetensors } from '../train/state_dict';
import { inspect, MAX_CHANNELS } from './inspect';
import { type FromWorker, transferables } from './protocol';
import { Session } from './session';

const backend = new CpuBackend();
setDefaultBackend(backend);

const CNN: ModelSpec = {
  name: 'tiny CNN',
  inputShape: [1, 8, 8],
  layers: [
    { type: 'Conv2d', name: 'conv1', inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 },
    { type: 'BatchNorm2d', name: 'bn1', numFeatures: 4 },
    { type: 'ReLU', name: 'relu' },
    { type: 'MaxPool2d', name: 'pool', kernelSize: 2 },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Linear', name: 'fc1', inFeatures: 64, outFeatures: 10 },
    { type: 'ReLU', name: 'relu2' },
    { type: 'Linear', name: 'fc2', inFeatures: 10, outFeatures: 3 },
  ],
};

const image = (n: number) => Float32Array.from(randnValues(n, 7), (v) => Math.min(1, Math.abs(v) / 2));

it('gives each layer its output for the image, as the layers up to it compute it', async () => {
  const model = buildModel(CNN);
  const run = { spec: CNN, model, mean: 0.1307, std: 0.3081 };
  const pixels = image(64);
  const { layers, weights } = await inspect(backend, run, pixels.slice());
  // Measured on a second call: the first conv allocates the backend's stand-in binding (ops.unusedBinding), kept for good.
  const before = backend.memory().bytesInUse;
  await inspect(backend, run, pixels.slice());
  expect(backend.memory().bytesInUse).toBe(before);
  expect(model.training).toBe(true);

  expect(layers.map((l) => [l.name, l.type, l.shape])).toEqual([
    ['conv1', 'Conv2d', [4, 8, 8]],
    ['bn1', 'BatchNorm2d', [4, 8, 8]],
    ['relu', 'ReLU', [4, 8, 8]],
    ['pool', 'MaxPool2d', [4, 4, 4]],
    ['flatten', 'Flatten', [64]],
    ['fc1', 'Linear', [10]],
    ['relu2', 'ReLU', [10]],
    ['fc2', 'Linear', [3]],
  ]);
  const conv = model.namedChildren().next().value?.[1] as Conv2d;
  const x = ops.tensor(
    backend,
    pixels.map((v) => (v - run.mean) / run.std),
    [1, 1, 8, 8],
  );
  const expectedConv = await F.conv2d(x, conv.weight, conv.bias ?? undefined, { padding: 1 }).data();
  assertClose(layers[0].values, expectedConv, 1e-5, 1e-6, 'conv1');
  assertClose(
    layers[2].values,
    layers[1].values.map((v) => Math.max(0, v)),
    0,
    0,
    'relu',
  );
  assertClose(layers[4].values, layers[3].values, 0, 0, 'flatten');
  // The last layer's output is the model's own (fused Linear+ReLU) forward in eval mode.
  model.eval();
  assertClose(layers[7].values, await model.forward(x).data(), 1e-5, 1e-6, 'logits');

  expect(weights?.name).toBe('conv1.weight');
  expect(weights?.weightShape).toEqual([4, 1, 3, 3]);
  expect(weights?.shape).toEqual([4, 1, 3, 3]);
  assertClose(weights?.values ?? [], await conv.weight.data(), 0, 0, 'filters');
});

it(`keeps the first ${MAX_CHANNELS} channels of a wide layer, and says its whole shape`, async () => {
  const spec: ModelSpec = {
    name: 'wide',
    inputShape: [1, 4, 4],
    layers: [
      { type: 'Conv2d', inChannels: 1, outChannels: 40, kernelSize: 3 },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 160, outFeatures: 2 },
    ],
  };
  const { layers } = await inspect(backend, { spec, model: buildModel(spec), mean: 0, std: 1 }, image(16));
  expect(layers[0].name).toBe('0');
  expect(layers[0].shape).toEqual([40, 2, 2]);
  expect(layers[0].values.length).toBe(MAX_CHANNELS * 4);
  expect(layers[1].values.length).toBe(160);
  await expect(
    inspect(backend, { spec, model: buildModel(spec), mean: 0, std: 1 }, image(9)),
  ).rejects.toThrow('the image has 9 values, the model takes inputs of shape [1,4,4]');
});

it("shows an MLP's first Linear rows as images of the input, when they read the whole image", async () => {
  const spec: ModelSpec = {
    name: 'SimpleNN',
    inputShape: [1, 6, 5],
    layers: [
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc1', inFeatures: 30, outFeatures: 7 },
      { type: 'ReLU', name: 'relu' },
      { type: 'Linear', name: 'fc2', inFeatures: 7, outFeatures: 3 },
    ],
  };
  const model = buildModel(spec);
  const { weights } = await inspect(backend, { spec, model, mean: 0, std: 1 }, image(30));
  expect(weights?.name).toBe('fc1.weight');
  expect(weights?.weightShape).toEqual([7, 30]);
  expect(weights?.shape).toEqual([7, 1, 6, 5]);
  expect(weights?.values).toEqual(await model.stateDict().get('fc1.weight')?.data());
});

it("answers the session's inspect for an uploaded model, as it does for a trained run", async () => {
  const posts: FromWorker[] = [];
  const session = new Session((m) => posts.push(m));
  await session.handle({ type: 'init', backend: 'cpu' });
  const spec = parseSpec('flatten,linear:6,relu,linear:3', [1, 4, 4], 'uploaded');
  const model = buildModel(spec);
  const bytes = stateDictToSafetensors(await model.stateDictData(), { spec: JSON.stringify(spec) });
  await session.handle({ type: 'importCheckpoint', runId: 'u', bytes });
  await session.handle({ type: 'inspect', requestId: 9, runId: 'u', pixels: image(16) });
  const reply = posts.at(-1);
  if (reply?.type !== 'inspection') throw new Error(`no inspection: ${JSON.stringify(reply)}`);
  expect(reply.requestId).toBe(9);
  expect(reply.layers.map((l) => `${l.name} ${l.type} [${l.shape}]`)).toEqual([
    '0 Flatten [16]',
    '1 Linear [6]',
    '2 ReLU [6]',
    '3 Linear [3]',
  ]);
  expect(reply.weights?.shape).toEqual([6, 1, 4, 4]);
  // Every array it posts has its own buffer, so all of them can be transferred.
  const buffers = transferables(reply);
  expect(new Set(buffers).size).toBe(5);
  session.dispose();
});
