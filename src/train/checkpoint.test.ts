import { describe, expect, it } from 'vitest';
import { SyntheticDataset } from '../data/dataset';
import type { ModelSpec } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { defaultGenerator, manualSeed, setDefaultBackend } from '../tensor/default';
import { webgpuBackend } from '../tensor/testing';
import {
  CheckpointError,
  captureCheckpoint,
  createRun,
  modelStateFromFile,
  parseCheckpoint,
  type Run,
  restoreCheckpoint,
  resumeRun,
} from './checkpoint';
import { DEFAULT_CONFIG, type TrainConfig } from './config';
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
const data = (backend: Backend) =>
  new SyntheticDataset(backend, { numSamples: 100, inputFeatures: 12, numClasses: 3, seed: 1 });

async function epoch(run: Run, control = {}): Promise<void> {
  await run.trainer.trainEpoch(control);
  run.trainer.endEpoch(1);
}

/** Every model and optimizer number of a run, as raw bytes. */
async function snapshot(run: Run): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of await run.model.stateDictData())
    out[`model.${k}`] = [...new Uint8Array(t.data.buffer)];
  const sd = await run.trainer.optimizer.stateDict();
  for (const [i, e] of Object.entries(sd.state)) {
    for (const [name, v] of Object.entries(e)) {
      out[`opt.${i}.${name}`] = typeof v === 'object' ? [...new Uint8Array(v.data.buffer)] : [v];
    }
  }
  out.lr = [run.trainer.lr];
  out.step = [run.trainer.globalStep, run.trainer.epoch];
  return out;
}

const backends: [string, () => Promise<Backend>][] = [
  ['cpu', async () => new CpuBackend()],
  ['webgpu', webgpuBackend],
];

describe.each(backends)('exact resume on %s', (_, makeBackend) => {
  it('2 epochs straight equal 1 epoch, checkpoint, restore into fresh objects, 1 more', async () => {
    const backend = await makeBackend();
    setDefaultBackend(backend);
    const straight = createRun(SPEC, CONFIG, data(backend));
    await epoch(straight);
    await epoch(straight);
    const expected = await snapshot(straight);

    const first = createRun(SPEC, CONFIG, data(backend));
    await epoch(first);
    const bytes = await captureCheckpoint(first, 0.5);
    // Disturb the global generator: the checkpoint must bring back the dropout stream.
    manualSeed(12345);
    const resumed = resumeRun(bytes, data(backend));
    expect(resumed.trainer.epoch).toBe(1);
    await epoch(resumed);
    expect(await snapshot(resumed)).toEqual(expected);
  });

  it('resumes exactly from the middle of an epoch', async () => {
    const backend = await makeBackend();
    setDefaultBackend(backend);
    const straight = createRun(SPEC, CONFIG, data(backend));
    await epoch(straight);
    await epoch(straight);
    const expected = await snapshot(straight);

    const first = createRun(SPEC, CONFIG, data(backend));
    await epoch(first);
    let bytes: Uint8Array | null = null;
    // Logging points are where a run can pause; capture at step 11 (4 batches into epoch 2) and stop.
    await first.trainer.trainEpoch({
      waitWhilePaused: async () => {
        if (first.trainer.globalStep === 11) bytes = await captureCheckpoint(first);
      },
      shouldStop: () => bytes !== null,
    });
    expect(bytes).not.toBeNull();
    const resumed = resumeRun(bytes!, data(backend));
    expect(resumed.trainer.globalStep).toBe(11);
    await epoch(resumed);
    expect(await snapshot(resumed)).toEqual(expected);
  });
});

describe('checkpoint files', () => {
  const backend = new CpuBackend();

  async function checkpointBytes(): Promise<{ run: Run; bytes: Uint8Array }> {
    setDefaultBackend(backend);
    const run = createRun(SPEC, CONFIG, data(backend));
    await epoch(run);
    return { run, bytes: await captureCheckpoint(run, 0.75) };
  }

  it('is one self-describing safetensors file', async () => {
    const { bytes } = await checkpointBytes();
    const file = decodeSafetensors(bytes);
    expect(Object.keys(file.tensors)).toContain('model.fc1.weight');
    expect(file.tensors['model.bn.num_batches_tracked'].dtype).toBe('I64');
    expect(Object.keys(file.tensors)).toContain('optimizer.state.0.exp_avg');
    const { meta } = parseCheckpoint(bytes);
    expect(meta).toMatchObject({ version: 1, epoch: 1, globalStep: 7, loss: 0.75, trainSamples: 100 });
    expect(meta.spec).toEqual(SPEC);
    expect(meta.config).toEqual(CONFIG);
    expect(meta.optimizerSteps).toEqual({ 0: 7, 1: 7, 2: 7, 3: 7, 4: 7, 5: 7 });
    expect(modelStateFromFile(bytes).get('fc2.bias')?.shape).toEqual([3]);
  });

  it('refuses another architecture, listing the problems, and changes nothing', async () => {
    const { bytes } = await checkpointBytes();
    const other: ModelSpec = {
      ...SPEC,
      layers: [
        { type: 'Linear', name: 'fc1', inFeatures: 12, outFeatures: 8 },
        { type: 'ReLU' },
        { type: 'Linear', name: 'head', inFeatures: 8, outFeatures: 3 },
      ],
    };
    const run = createRun(other, CONFIG, data(backend));
    const before = await snapshot(run);
    const gen = defaultGenerator.getState();
    let error: unknown;
    try {
      restoreCheckpoint(parseCheckpoint(bytes), run);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    const message = (error as Error).message;
    expect(message).toContain('size mismatch for fc1.weight: [16,12] in the checkpoint, [8,12] in the model');
    expect(message).toContain('missing key(s): head.weight, head.bias');
    expect(message).toContain('unexpected key(s): bn.weight');
    expect(await snapshot(run)).toEqual(before);
    expect(defaultGenerator.getState()).toEqual(gen);
  });

  it('refuses a different optimizer or dataset size', async () => {
    const { bytes } = await checkpointBytes();
    const sgd = createRun(SPEC, { ...CONFIG, optimizer: 'sgd' }, data(backend));
    expect(() => restoreCheckpoint(parseCheckpoint(bytes), sgd)).toThrow(
      /optimizer adam in the checkpoint, sgd/,
    );
    const small = new SyntheticDataset(backend, { numSamples: 50, inputFeatures: 12, numClasses: 3 });
    const gen = defaultGenerator.getState();
    expect(() => resumeRun(bytes, small)).toThrow(/trained on 100 samples, this run has 50/);
    expect(defaultGenerator.getState()).toEqual(gen);
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
    expect(() => parseCheckpoint(withMeta({ ...meta, loader: { batch: -1 } }))).toThrow(/loader position/);
    expect(() => parseCheckpoint(withMeta({ ...meta, spec: { ...SPEC, layers: [] } }))).toThrow(
      /spec is invalid/,
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
