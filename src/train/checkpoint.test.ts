import { describe, expect, it } from 'vitest';
import { SyntheticDataset } from '../data/dataset';
import type { ModelSpec } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { defaultGenerator, manualSeed, setDefaultBackend } from '../tensor/default';
import { webgpuBackend } from '../tensor/testing';
import { CheckpointError, modelStateFromFile, parseCheckpoint } from './checkpoint';
import { DEFAULT_CONFIG, type TrainConfig } from './config';
import { type RunData, tensorData } from './data';
import { RunError } from './errors';
import { Run } from './run';
import { decodeSafetensors, encodeSafetensors, FORMAT_VERSION_KEY, SafetensorsError } from './safetensors';

const SPEC: ModelSpec = {
  name: 'Tiny',
  inputShape: [12],
  layers: [
    { type: 'Linear', name: 'fc1', inFeatures: 12, outFeatures: 16 },
    { type: 'BatchNorm1d', name: 'bn', numFeatures: 16 },
    { type: 'ReLU' },
    { type: 'Dropout', p: 0.3 },
    { type: 'Linear', name: 'fc2', inFeatures: 16, outFeatures: 3 },
  ],
};

const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG,
  epochs: 2,
  batchSize: 16,
  seed: 3,
  shuffle: true,
  optimizer: 'adam',
  scheduler: { name: 'step', stepSize: 1, gamma: 0.5 },
  clipNorm: 1,
  labelSmoothing: 0.1,
  logEvery: 2,
};

/** 100 samples in batches of 16: 7 steps an epoch, the last one partial. */
const data = (backend: Backend, numSamples = 100, seed = 1): RunData =>
  tensorData(
    'synthetic',
    new SyntheticDataset(backend, { numSamples, inputFeatures: 12, numClasses: 3, seed }),
    new SyntheticDataset(backend, { numSamples: 40, inputFeatures: 12, numClasses: 3, seed: 9 }),
    `synthetic ${numSamples} ${seed}`,
  );

/** Every model and optimizer number of a run, as raw bytes. */
async function snapshot(run: Run): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of await run.model.stateDictData())
    out[`model.${k}`] = [...new Uint8Array(t.data.buffer)];
  const sd = await run.optimizer.stateDict();
  for (const [i, e] of Object.entries(sd.state)) {
    for (const [name, v] of Object.entries(e)) {
      out[`opt.${i}.${name}`] = typeof v === 'object' ? [...new Uint8Array(v.data.buffer)] : [v as number];
    }
  }
  out.lr = [run.trainer.lr];
  out.step = [run.globalStep, run.epoch];
  return out;
}

/** Fits a run, stopping once it has taken `stopAt` steps; the bytes of its stop checkpoint. */
async function fitUntil(run: Run, stopAt: number): Promise<Uint8Array> {
  let bytes: Uint8Array | null = null;
  const outcome = await run.fit(
    { checkpoint: (b, reason) => void (reason === 'stopped' && (bytes = b)) },
    { shouldStop: () => run.globalStep >= stopAt },
  );
  expect(outcome).toBe('stopped');
  expect(bytes).not.toBeNull();
  return bytes as unknown as Uint8Array;
}

const backends: [string, () => Promise<Backend>][] = [
  ['cpu', async () => new CpuBackend()],
  ['webgpu', webgpuBackend],
];

describe.each(backends)('exact resume on %s', (_, makeBackend) => {
  for (const [where, stopAt] of [
    ['at the end of an epoch', 7],
    ['from the middle of an epoch', 11],
  ] as const) {
    it(`2 epochs straight equal a run stopped ${where}, checkpointed and resumed in fresh objects`, async () => {
      const backend = await makeBackend();
      setDefaultBackend(backend);
      const straight = Run.create(SPEC, CONFIG, data(backend));
      expect(await straight.fit()).toBe('finished');
      const expected = await snapshot(straight);
      const history = straight.history.map((p) => [p.tag, p.step, p.value]);

      const first = Run.create(SPEC, CONFIG, data(backend));
      const bytes = await fitUntil(first, stopAt);
      // Disturb the global generator: the checkpoint must bring back the dropout stream.
      manualSeed(12345);
      const resumed = Run.fromCheckpoint(bytes, data(backend));
      expect(resumed.globalStep).toBe(stopAt);
      expect(await resumed.fit()).toBe('finished');
      expect(await snapshot(resumed)).toEqual(expected);
      // The charts go on where they stopped: the resumed history is the straight one.
      expect(resumed.history.map((p) => [p.tag, p.step, p.value])).toEqual(history);
      for (const run of [straight, first, resumed]) run.dispose();
    });
  }
});

describe('checkpoint files', () => {
  const backend = new CpuBackend();

  async function checkpointBytes(): Promise<{ run: Run; bytes: Uint8Array }> {
    setDefaultBackend(backend);
    const run = Run.create(SPEC, CONFIG, data(backend));
    return { run, bytes: await fitUntil(run, 7) };
  }

  it('is one self-describing safetensors file', async () => {
    const { bytes } = await checkpointBytes();
    const file = decodeSafetensors(bytes);
    expect(Object.keys(file.tensors)).toContain('model.fc1.weight');
    expect(file.tensors['model.bn.num_batches_tracked'].dtype).toBe('I64');
    expect(Object.keys(file.tensors)).toContain('optimizer.state.0.exp_avg');
    const { meta } = parseCheckpoint(bytes);
    expect(meta).toMatchObject({ version: 1, epoch: 1, globalStep: 7, trainSamples: 100 });
    expect(meta.loss).toBeGreaterThan(0);
    expect(meta.dataset?.name).toBe('synthetic');
    expect(meta.spec).toEqual(SPEC);
    expect(meta.config).toEqual(CONFIG);
    expect(meta.history?.map((p) => p.tag)).toContain('Accuracy/val');
    expect(meta.optimizerSteps).toEqual({ 0: 7, 1: 7, 2: 7, 3: 7, 4: 7, 5: 7 });
    expect(modelStateFromFile(bytes).get('fc2.bias')?.shape).toEqual([3]);
  });

  it('refuses other data, or epochs already done, before building anything', async () => {
    const { bytes } = await checkpointBytes();
    const gen = defaultGenerator.getState();
    const before = backend.memory().bytesInUse;
    const other = data(backend, 100, 2);
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as RunError;
      }
      throw new Error('not refused');
    };
    const mismatch = refused(() => Run.fromCheckpoint(bytes, other));
    expect(mismatch).toBeInstanceOf(RunError);
    expect(mismatch.kind).toBe('data-mismatch');
    expect(mismatch.message).toMatch(
      /trained on synthetic \(100 training samples\), not on the data loaded now/,
    );
    const done = refused(() => Run.fromCheckpoint(bytes, other, 1));
    expect(done.kind).toBe('config');
    expect(done.message).toMatch(/done 1 of 2 epochs already/);
    other.dispose();
    expect(defaultGenerator.getState()).toEqual(gen);
    expect(backend.memory().bytesInUse).toBe(before);
  });

  it('refuses edited metadata: counters that disagree, an epoch past the end, a spec larger than the file', async () => {
    const { bytes } = await checkpointBytes();
    const file = decodeSafetensors(bytes);
    const meta = JSON.parse(file.metadata['kiln.checkpoint']);
    const withMeta = (m: unknown) =>
      encodeSafetensors(file.tensors, { 'kiln.checkpoint': JSON.stringify(m) });
    const batch999 = withMeta({ ...meta, config: { ...meta.config, batchSize: 999 } });
    expect(() => Run.fromCheckpoint(batch999, data(backend))).toThrow(/counters disagree/);
    expect(() => parseCheckpoint(withMeta({ ...meta, epoch: 5 }))).toThrow(
      /epoch 5 is past the run's 2 epochs/,
    );
    const huge = {
      ...SPEC,
      layers: [
        { type: 'Linear', name: 'fc1', inFeatures: 12, outFeatures: 1_000_000 },
        { type: 'Linear', name: 'fc2', inFeatures: 1_000_000, outFeatures: 3 },
      ],
    };
    expect(() => parseCheckpoint(withMeta({ ...meta, spec: huge }))).toThrow(
      /the model spec describes 16000003 values, the file holds \d+/,
    );
    expect(() => parseCheckpoint(withMeta({ ...meta, config: { ...meta.config, lr: -1 } }))).toThrow(
      CheckpointError,
    );
  });

  it('refuses unknown keys, the keys that reach a prototype and wrong types, naming the field', async () => {
    const { bytes } = await checkpointBytes();
    const file = decodeSafetensors(bytes);
    const json = file.metadata['kiln.checkpoint'];
    const edited = (from: string | RegExp, to: string) => {
      expect(json).toMatch(from);
      return () =>
        parseCheckpoint(encodeSafetensors(file.tensors, { 'kiln.checkpoint': json.replace(from, to) }));
    };
    const refusals: [string | RegExp, string, string][] = [
      [
        '"config":{',
        '"config":{"__proto__":{"lr":5},',
        'config.__proto__: "__proto__" is not allowed as a key',
      ],
      [
        '"config":{',
        '"config":{"constructor":1,',
        'config.constructor: "constructor" is not allowed as a key',
      ],
      ['"config":{', '"config":{"lrr":1,', 'config.lrr: "lrr" is not a setting; did you mean lr?'],
      ['"epoch":', '"epochs":1,"epoch":', 'epochs: unknown field; did you mean epoch?'],
      [/"lr":[^,]*/, '"lr":"abc"', 'config: the learning rate must be a finite number > 0, got "abc"'],
      [/"trainSamples":\d+/, '"trainSamples":"12"', 'trainSamples: must be a non-negative integer, got "12"'],
      [/"spec":\{/, '"spec":{"__proto__":{},', 'spec.__proto__: "__proto__" is not allowed as a key'],
      [
        /"value":\[[^,]*/,
        '"value":["1"',
        'history.value[0]: must be a number, NaN, Infinity, -Infinity or -0',
      ],
      [/"tag":\[\d+/, '"tag":[99', 'history: point 0 names tag 99 of 4'],
    ];
    for (const [from, to, message] of refusals)
      expect(edited(from, to)).toThrow(new CheckpointError(`checkpoint metadata: ${message}`));
  });

  it('refuses a newer format version, in the file or in the checkpoint JSON', async () => {
    const { bytes } = await checkpointBytes();
    const file = decodeSafetensors(bytes);
    const header = JSON.parse(
      new TextDecoder().decode(
        bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
      ),
    );
    header.__metadata__[FORMAT_VERSION_KEY] = '2';
    const json = new TextEncoder().encode(JSON.stringify(header));
    const data = bytes.subarray(8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)));
    const newer = new Uint8Array(8 + json.length + data.length);
    new DataView(newer.buffer).setBigUint64(0, BigInt(json.length), true);
    newer.set(json, 8);
    newer.set(data, 8 + json.length);
    expect(() => parseCheckpoint(newer)).toThrow(/format version 2 is newer than this Kiln supports/);

    const meta = JSON.parse(file.metadata['kiln.checkpoint']);
    const newerMeta = encodeSafetensors(file.tensors, {
      'kiln.checkpoint': JSON.stringify({ ...meta, version: 9 }),
    });
    expect(() => parseCheckpoint(newerMeta)).toThrow(/format version 9 is newer/);
  });

  it('refuses damaged files with one clear error', async () => {
    const { bytes } = await checkpointBytes();
    expect(() => parseCheckpoint(bytes.subarray(0, bytes.length - 5))).toThrow(SafetensorsError);
    const file = decodeSafetensors(bytes);
    const meta = JSON.parse(file.metadata['kiln.checkpoint']);
    const withMeta = (m: unknown) =>
      encodeSafetensors(file.tensors, { 'kiln.checkpoint': JSON.stringify(m) });
    expect(() => parseCheckpoint(encodeSafetensors(file.tensors, { 'kiln.checkpoint': '{' }))).toThrow(
      /not valid JSON/,
    );
    expect(() => parseCheckpoint(withMeta({ ...meta, loader: { batch: -1 } }))).toThrow(
      'checkpoint metadata: loader.generator: missing',
    );
    expect(() => parseCheckpoint(withMeta({ ...meta, spec: { ...SPEC, layers: [] } }))).toThrow(
      'checkpoint metadata: spec: the model has no layers',
    );
    expect(() => parseCheckpoint(encodeSafetensors(file.tensors))).toThrow(
      /state dict, not a full checkpoint/,
    );
    const { 'optimizer.state.0.exp_avg': _, ...tensors } = file.tensors;
    expect(() =>
      parseCheckpoint(
        encodeSafetensors({ ...tensors, stray: file.tensors['model.fc2.bias'] }, file.metadata),
      ),
    ).toThrow(/unexpected tensor 'stray'/);
  });
});
