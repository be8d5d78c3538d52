/**
 * The way back to PyTorch, checked with the real thing: Debian's torch through /usr/bin/python3.
 * These fail (never skip) when torch is missing; CI installs python3-torch.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../data/csv';
import { TensorDataset } from '../data/dataset';
import { loadMnistFromDir } from '../data/node';
import { irisLikeCsv, mnistHead } from '../data/testing';
import { buildModel, type Module, PRESETS } from '../nn';
import { type ModelSpec, parseSpec } from '../nn/spec';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { assertClose, randnValues } from '../tensor/testing';
import { modelStateFromFile } from './checkpoint';
import { DEFAULT_CONFIG, type TrainConfig } from './config';
import { featureStats, pixelStats, prepareData, tensorData } from './data';
import { exportPytorch } from './export_pytorch';
import { Run } from './run';
import { decodeSafetensors } from './safetensors';
import { stateDictToSafetensors } from './state_dict';

const PYTHON = '/usr/bin/python3';
const ROUNDTRIP = join(import.meta.dirname, '../../scripts/torch/kiln_roundtrip.py');
const backend = new CpuBackend();
const dir = mkdtempSync(join(tmpdir(), 'kiln-torch-'));

function python(args: string[], timeout = 60_000): string {
  try {
    return execFileSync(PYTHON, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `${PYTHON} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`,
    );
  }
}

/** Index names ("0", "1"...) export as an nn.Sequential subclass; every layer family is in it. */
const CONV: ModelSpec = {
  name: 'Conv net',
  inputShape: [1, 8, 8],
  layers: [
    { type: 'Conv2d', inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 },
    { type: 'BatchNorm2d', numFeatures: 4 },
    { type: 'GELU' },
    { type: 'MaxPool2d', kernelSize: 2 },
    { type: 'Conv2d', inChannels: 4, outChannels: 6, kernelSize: 3, bias: false },
    { type: 'LeakyReLU', negativeSlope: 0.1 },
    { type: 'AvgPool2d', kernelSize: 2 },
    { type: 'Flatten' },
    { type: 'Dropout', p: 0.2 },
    { type: 'Linear', inFeatures: 6, outFeatures: 5 },
    { type: 'Tanh' },
    { type: 'Linear', name: 'head', inFeatures: 5, outFeatures: 3 },
  ],
};

/** Attribute names export as the guide's class with a forward. */
const MLP: ModelSpec = {
  name: 'Small MLP',
  inputShape: [1, 8, 8],
  layers: [
    { type: 'Flatten', name: 'flatten' },
    { type: 'Linear', name: 'fc1', inFeatures: 64, outFeatures: 16 },
    { type: 'BatchNorm1d', name: 'bn1', numFeatures: 16 },
    { type: 'Sigmoid', name: 'act' },
    { type: 'Linear', name: 'fc2', inFeatures: 16, outFeatures: 3 },
  ],
};

/** A tree: rows of the image as a sequence, a residual attention block and a repeated MLP block. */
const TREE: ModelSpec = parseSpec(
  'flatten:1:2,embed=linear:12,wpe=posembed:10,attn_res=residual(ln=layernorm,attn=attn:3),h=repeat:2(residual(layernorm,linear:20,gelu,linear:12)),ln_f=layernorm,flatten,head=linear:3',
  [1, 8, 8],
  'Transformer rows',
);

const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG,
  epochs: 2,
  batchSize: 16,
  scheduler: { name: 'step', stepSize: 1, gamma: 0.5 },
  clipNorm: 5,
};

const N = 64;
const X = randnValues(N * 64, 7);
const inputsFile = join(dir, 'inputs.safetensors');
writeFileSync(
  inputsFile,
  stateDictToSafetensors(new Map([['x', { shape: [N, 1, 8, 8], dtype: 'float32', data: X }]])),
);

/** Trains a run's first epoch (of several) and returns the checkpoint it stops with. */
async function oneEpoch(run: Run): Promise<Uint8Array> {
  let bytes: Uint8Array = new Uint8Array(0);
  await run.fit({ checkpoint: (b) => void (bytes = b) }, { shouldStop: () => run.epoch >= 1 });
  return bytes;
}

async function logits(model: Module): Promise<Float32Array> {
  model.eval();
  return (await model.forward(ops.tensor(backend, X, [N, 1, 8, 8])).data()) as Float32Array;
}

// A copy: Buffer.slice shares memory, and decodeSafetensors relies on slice() copying.
const readBytes = (path: string) => new Uint8Array(readFileSync(path));
const readLogits = (path: string) => decodeSafetensors(readBytes(path));

describe.each([
  ['nn.Sequential export', CONV],
  ['attribute-style export', MLP],
  ['tree export (residual, repeat, attention)', TREE],
])('%s', (_, spec) => {
  const trainPy = join(dir, `${spec.name.replace(/\W/g, '')}.py`);
  beforeAll(() => writeFileSync(trainPy, exportPytorch(spec, CONFIG)));

  it('a Kiln state dict and a full checkpoint load in PyTorch with the same outputs', async () => {
    setDefaultBackend(backend);
    const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % 3);
    const data = new TensorDataset(
      ops.tensor(backend, X, [N, 1, 8, 8]),
      ops.tensor(backend, labels, [N], 'int32'),
      3,
      { features: X, labels },
    );
    const run = Run.create(spec, CONFIG, tensorData('x', data, data, 'x'));
    const bytes = await oneEpoch(run);
    const stateFile = join(dir, 'kiln-state.safetensors');
    // No .safetensors: the script tells a Kiln file from a .pt by its content.
    const checkpointFile = join(dir, 'kiln-checkpoint');
    writeFileSync(stateFile, stateDictToSafetensors(await run.model.stateDictData()));
    writeFileSync(checkpointFile, bytes);
    const expected = await logits(run.model);

    python([ROUNDTRIP, trainPy, 'load', stateFile, inputsFile, join(dir, 'out1.safetensors')]);
    assertClose(
      readLogits(join(dir, 'out1.safetensors')).tensors.logits.data as Float32Array,
      expected,
      1e-4,
      1e-5,
    );

    const meta = JSON.parse(
      python([ROUNDTRIP, trainPy, 'load', checkpointFile, inputsFile, join(dir, 'out2.safetensors')]),
    );
    assertClose(
      readLogits(join(dir, 'out2.safetensors')).tensors.logits.data as Float32Array,
      expected,
      1e-4,
      1e-5,
    );
    expect(meta).toEqual({
      start_epoch: '1',
      optimizer_states: String(run.model.parameters().length),
      lr: String(run.trainer.lr),
    });
  });

  it('a PyTorch-saved state dict loads in Kiln with the same predictions', async () => {
    setDefaultBackend(backend);
    const torchFile = join(dir, 'torch-state.safetensors');
    python([ROUNDTRIP, trainPy, 'save', torchFile, inputsFile, join(dir, 'out3.safetensors')]);
    const model = buildModel(spec);
    model.loadStateDict(modelStateFromFile(readBytes(torchFile)));
    assertClose(
      await logits(model),
      readLogits(join(dir, 'out3.safetensors')).tensors.logits.data as Float32Array,
      1e-4,
      1e-5,
    );
  });
});

describe('the exported train.py on MNIST IDX files', () => {
  const dataDir = join(dir, 'mnist');
  const out = join(dir, 'py');
  const checkpoint = join(dir, 'mnist-checkpoint.safetensors');
  const config: TrainConfig = { ...CONFIG, batchSize: 64, limit: 256, epochs: 2, labelSmoothing: 0.1 };

  beforeAll(async () => {
    execFileSync('mkdir', ['-p', dataDir, out]);
    // Plain and gzipped files together, as the script accepts either.
    writeFileSync(
      join(dataDir, 'train-images-idx3-ubyte.gz'),
      gzipSync(mnistHead('train-images-idx3-ubyte', 256)),
    );
    writeFileSync(join(dataDir, 'train-labels-idx1-ubyte'), mnistHead('train-labels-idx1-ubyte', 256));
    writeFileSync(join(dataDir, 't10k-images-idx3-ubyte'), mnistHead('t10k-images-idx3-ubyte', 100));
    // Gzipped under the plain name: both readers tell gzip by its content.
    writeFileSync(
      join(dataDir, 't10k-labels-idx1-ubyte'),
      gzipSync(mnistHead('t10k-labels-idx1-ubyte', 100)),
    );
    writeFileSync(join(out, 'train.py'), exportPytorch(PRESETS.simplenn, config));
    setDefaultBackend(backend);
    const mnist = await loadMnistFromDir(dataDir);
    const run = Run.create(
      PRESETS.simplenn,
      config,
      prepareData(backend, { name: 'mnist', ...mnist }, config),
    );
    writeFileSync(checkpoint, await oneEpoch(run));
  });

  it('trains one more epoch from a Kiln checkpoint and saves a file Kiln loads', () => {
    const saved = join(dir, 'after.safetensors');
    const stdout = python([
      join(out, 'train.py'),
      '--data-dir',
      dataDir,
      '--epochs',
      '2',
      '--resume',
      checkpoint,
      '--checkpoint',
      join(dir, 'ck.pt'),
      '--save',
      saved,
    ]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ epoch: 2, world_size: 1, lr: 0.0005 });
    expect(lines[0].val_acc).toBeGreaterThan(0.3);
    const model = buildModel(PRESETS.simplenn);
    model.loadStateDict(modelStateFromFile(readBytes(saved)));
  });

  it("normalises pixels with Kiln's pixelStats of its training rows when the config gives no mean or std", async () => {
    const script = join(out, 'train.py');
    const got = JSON.parse(
      python([
        '-c',
        `import importlib.util, json
spec = importlib.util.spec_from_file_location("train", ${JSON.stringify(script)})
train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)
tr, va = train.load_datasets(${JSON.stringify(dataDir)}, None, 256)
print(json.dumps(tr.dataset.tensors[0][:2].flatten().tolist()))`,
      ]),
    ) as number[];
    const { train } = await loadMnistFromDir(dataDir);
    if (train.kind !== 'image') throw new Error('MNIST is images');
    const { mean, std } = pixelStats(train, null);
    const expected = Array.from(train.images.subarray(0, 2 * 784), (p) => (p / 255 - mean) / std);
    assertClose(got, expected, 1e-6, 1e-6);
  });

  it('refuses to resume from a file that is neither safetensors nor a torch.save checkpoint, in one line', () => {
    const junk = join(dir, 'junk.pt');
    writeFileSync(junk, 'not a checkpoint');
    expect(() => python([join(out, 'train.py'), '--data-dir', dataDir, '--resume', junk])).toThrow(
      /error: .*junk\.pt is neither a safetensors file \(Kiln's\) nor a checkpoint this script saved/,
    );
  });

  it('trains under torchrun with 2 processes (DistributedDataParallel on gloo)', () => {
    // Debian's torch 1.13 launcher cannot parse its own default --redirects/--tee "0" on Python 3.11.
    const stdout = python(
      [
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        '--redirects',
        '1',
        '--tee',
        '1',
        join(out, 'train.py'),
        '--data-dir',
        dataDir,
        '--epochs',
        '2',
        '--resume',
        checkpoint,
        '--checkpoint',
        join(dir, 'ck-ddp.pt'),
      ],
      90_000,
    );
    const line = stdout.split('\n').find((l) => l.includes('"world_size"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!.slice(line!.indexOf('{')))).toMatchObject({ epoch: 2, world_size: 2 });
  });
});

describe('a run on a CSV table, exported', () => {
  const spec = parseSpec('linear:16,relu,linear:3', [4], 'Iris MLP');
  const config: TrainConfig = { ...DEFAULT_CONFIG, lr: 0.01, valSplit: 60, epochs: 10, batchSize: 16 };
  const trainPy = join(dir, 'iris_train.py');
  const csv = join(dir, 'iris.csv.gz');
  beforeAll(() => {
    writeFileSync(trainPy, exportPytorch(spec, config));
    writeFileSync(csv, gzipSync(irisLikeCsv(300)));
  });

  /** A CSV with a constant second column, 'bias': five features. */
  const withBias = (text: string) =>
    text.replace(/^([^,\n]*),/gm, (_, first: string, at: number) => `${first},${at === 0 ? 'bias' : '2.5'},`);

  /** Python that imports an exported train.py as the module \`train\`, to call its loader. */
  const importing = (path: string) => `import importlib.util, json
spec = importlib.util.spec_from_file_location("train", ${JSON.stringify(path)})
train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)
`;

  it('trains from --csv (gzipped here) above 85% validation accuracy', () => {
    const lines = python([trainPy, '--csv', csv, '--checkpoint', join(dir, 'iris.pt')])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(10);
    // Three classes: chance is a third.
    expect(lines.at(-1).val_acc).toBeGreaterThan(0.85);
  });

  it("standardises each feature with Kiln's featureStats of the training rows, held-out rows too", () => {
    // A constant column (std 0, which Kiln scales by 1) among the features, and a --limit.
    const text = withBias(irisLikeCsv(100));
    const file = join(dir, 'bias.csv');
    const script = join(dir, 'bias_train.py');
    writeFileSync(file, text);
    writeFileSync(script, exportPytorch(parseSpec('linear:3', [5]), { ...config, valSplit: 20 }));
    const out = python([
      '-c',
      `${importing(script)}tr, va = train.load_datasets(None, ${JSON.stringify(file)}, 50)
print(json.dumps([tr.indices, va.indices, tr.dataset.tensors[0].flatten().tolist()]))`,
    ]);
    const [trainRows, valRows, standardised] = JSON.parse(out) as number[][];
    expect([trainRows.length, valRows.length]).toEqual([50, 20]);
    // Kiln's statistics on the rows the script trained on: every row, held out or not, scaled by them.
    const table = parseCsv(text, file, { name: 'bias' });
    const { mean, std } = featureStats(table, Int32Array.from(trainRows));
    expect(std[1]).toBe(1);
    const expected = table.features.map((v, i) => (v - mean[i % 5]) / std[i % 5]);
    assertClose(standardised, expected, 1e-6, 1e-6);
  });

  it("names a bad cell in one line, in Kiln's own words", () => {
    const rows = irisLikeCsv(20).split('\n');
    const withCell = (cell: string) =>
      rows.map((row, i) => (i === 3 ? row.replace(/,[^,]*/, `,${cell}`) : row)).join('\n');
    const kilnSays = (text: string, file: string) => {
      try {
        parseCsv(text, file, { name: 'bad' });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('Kiln read the file');
    };
    // The script itself, once: a single `error:` line on stderr and a failing exit.
    const bad = join(dir, 'iris-bad.csv');
    writeFileSync(bad, withCell('abc'));
    const run = spawnSync(PYTHON, [trainPy, '--csv', bad], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`error: ${kilnSays(withCell('abc'), bad)}\n`);
    expect(run.stderr).toContain("line 4, column 2 ('sepal_width'): 'abc' is not a number");
    // Other bad cells through the loader (one Python start): an empty cell, an overflow, a control
    // character; and a file whose samples do not fit the model.
    const cases = ['', '1e39', 'a\u0007b'].map((cell, i) => {
      const file = join(dir, `iris-bad${i}.csv`);
      writeFileSync(file, withCell(cell));
      return { file, kiln: `error: ${kilnSays(withCell(cell), file)}` };
    });
    const wide = join(dir, 'iris-wide.csv');
    writeFileSync(wide, withBias(irisLikeCsv(20)));
    const messages = JSON.parse(
      python([
        '-c',
        `${importing(trainPy)}def fails(path):
    try:
        train.load_datasets(None, path, None)
    except SystemExit as e:
        return str(e)
print(json.dumps([fails(p) for p in ${JSON.stringify([...cases.map((c) => c.file), wide])}]))`,
      ]),
    );
    expect(messages).toEqual([
      ...cases.map((c) => c.kiln),
      `error: ${wide}: its samples are [5], the model takes [4]`,
    ]);
  });

  it("reads class names (Iris's species, UCI's headerless file) as Kiln numbers them", () => {
    const names = ['setosa', 'versicolor', 'virginica'];
    const named = irisLikeCsv(12).replace(/,(\d+)$/gm, (_, c: string) => `,${names[Number(c)]}`);
    const files = [named, named.slice(named.indexOf('\n') + 1)].map((text, i) => {
      const file = join(dir, `iris-names${i}.csv`);
      writeFileSync(file, text);
      return { file, labels: Array.from(parseCsv(text, file, { name: 'n' }).labels) };
    });
    expect(files[0].labels).toEqual(files[1].labels);
    const read = JSON.parse(
      python([
        '-c',
        `${importing(trainPy)}print(json.dumps([train.read_csv(p)[1].tolist() for p in ${JSON.stringify(files.map((f) => f.file))}]))`,
      ]),
    );
    expect(read).toEqual(files.map((f) => f.labels));
  });
});
