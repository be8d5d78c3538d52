/**
 * `npm run train -- [options]`: the engine headless in Node, on the real GPU where Dawn finds one,
 * else a CPU Vulkan driver (lavapipe or SwiftShader), or the cpu backend with --backend cpu.
 * Prints a progress bar on a terminal, or one JSON object per epoch with --json.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataLoader } from '../data/dataloader';
import { type Dataset, ImageDataset, Subset, SyntheticDataset } from '../data/dataset';
import { idxFileIn, loadIdxFiles, loadMnistFromDir, mnistDataDir } from '../data/node';
import { trainValidationSplit } from '../data/split';
import { Compose, Normalize, ToTensor } from '../data/transforms';
import type { ImageDataset as RawImages } from '../data/types';
import { adapterName } from '../gpu/device';
import { acquireNodeGpu } from '../gpu/node';
import { PRESETS, parseSpec } from '../nn';
import type { ModelSpec } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import { WebGPUBackend } from '../tensor/webgpu';
import {
  type Checkpoint,
  captureCheckpoint,
  createRun,
  modelStateFromFile,
  parseCheckpoint,
  type Run,
  restoreCheckpoint,
} from '../train/checkpoint';
import { DEFAULT_CONFIG, type OptimizerName, type SchedulerConfig, type TrainConfig } from '../train/config';
import { evaluate } from '../train/evaluate';
import { exportPytorch } from '../train/export_pytorch';
import { stateDictToSafetensors } from '../train/state_dict';
import { eventFileName, SummaryWriter } from '../train/tensorboard';

/** A user mistake: printed as one line, exit code 2, no stack trace. */
class UsageError extends Error {}

const OPTIONS = {
  model: { type: 'string', default: 'simplenn' },
  // No default: on --resume an absent --epochs keeps the checkpoint's own.
  epochs: { type: 'string' },
  'batch-size': { type: 'string', default: String(DEFAULT_CONFIG.batchSize) },
  lr: { type: 'string' },
  optimizer: { type: 'string', default: DEFAULT_CONFIG.optimizer },
  momentum: { type: 'string', default: '0' },
  'weight-decay': { type: 'string', default: '0' },
  seed: { type: 'string', default: '0' },
  'no-shuffle': { type: 'boolean', default: false },
  limit: { type: 'string' },
  'val-split': { type: 'string', default: '0' },
  init: { type: 'string' },
  save: { type: 'string' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string', default: '1' },
  resume: { type: 'string' },
  logdir: { type: 'string' },
  'export-pytorch': { type: 'string' },
  backend: { type: 'string', default: 'webgpu' },
  json: { type: 'boolean', default: false },
  dataset: { type: 'string', default: 'mnist' },
  'data-dir': { type: 'string' },
  'train-images': { type: 'string' },
  'train-labels': { type: 'string' },
  'test-images': { type: 'string' },
  'test-labels': { type: 'string' },
  scheduler: { type: 'string', default: 'none' },
  'step-size': { type: 'string', default: '1' },
  gamma: { type: 'string', default: '0.1' },
  milestones: { type: 'string', default: '' },
  't-max': { type: 'string' },
  'eta-min': { type: 'string', default: '0' },
  'max-lr': { type: 'string' },
  'pct-start': { type: 'string', default: '0.3' },
  factor: { type: 'string', default: '0.1' },
  patience: { type: 'string', default: '10' },
  'start-factor': { type: 'string', default: String(1 / 3) },
  'total-iters': { type: 'string', default: '5' },
  'clip-norm': { type: 'string' },
  'clip-value': { type: 'string' },
  dropout: { type: 'string' },
  'label-smoothing': { type: 'string', default: '0' },
  'log-every': { type: 'string', default: '50' },
  profile: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const HELP = `Usage: npm run train -- [options]
  --model NAME|SPEC       simplenn, mlp, lenet, cnn, or a layer list like "flatten,linear:128,relu,linear:10"
  --epochs N              epochs in all (default 3)       --batch-size N   (default 64)
  --lr X                  learning rate (default 1e-3; 0.01 for sgd)
  --optimizer NAME        adam | sgd | adamw | rmsprop     --momentum X  --weight-decay X
  --scheduler NAME        none | step | multistep | exponential | cosine | plateau | linear | onecycle
                          with --step-size --gamma --milestones 2,4 --t-max --eta-min --factor --patience
                          --start-factor --total-iters --max-lr --pct-start
  --clip-norm X  --clip-value X  --dropout P  --label-smoothing X
  --seed N  --no-shuffle  --limit N (first N training samples)  --val-split N (hold out N for validation)
  --dataset mnist|synthetic|idx  --data-dir DIR  --train-images F --train-labels F --test-images F --test-labels F
  --init FILE.safetensors  --save FILE.safetensors  --backend webgpu|cpu  --json  --log-every N
  --profile               time every GPU kernel (timestamp queries) and print the top ones at the end
  --checkpoint FILE       write a full checkpoint (model, optimizer, scheduler, RNG, data position)
                          after every epoch, or every N with --checkpoint-every N (and after the last)
  --resume FILE           continue the run of a checkpoint exactly; --epochs counts epochs in all
  --logdir DIR            TensorBoard event file: Loss/train, Loss/val, Accuracy/val, learning_rate
  --export-pytorch DIR    write DIR/train.py: this model and configuration as a PyTorch program`;

function num(name: string, v: string | undefined, opts: { int?: boolean; min?: number } = {}): number {
  const x = Number(v);
  if (
    v === undefined ||
    v === '' ||
    Number.isNaN(x) ||
    (opts.int && !Number.isInteger(x)) ||
    (opts.min !== undefined && x < opts.min)
  ) {
    throw new UsageError(
      `--${name} expects ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}, got "${v}"`,
    );
  }
  return x;
}

type Values = {
  [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : string | undefined;
};

function schedulerConfig(v: Values, epochs: number): SchedulerConfig {
  switch (v.scheduler) {
    case 'none':
      return { name: 'none' };
    case 'step':
      return {
        name: 'step',
        stepSize: num('step-size', v['step-size'], { int: true, min: 1 }),
        gamma: num('gamma', v.gamma),
      };
    case 'multistep':
      return {
        name: 'multistep',
        milestones: (v.milestones ?? '')
          .split(',')
          .filter(Boolean)
          .map((m) => num('milestones', m, { int: true })),
        gamma: num('gamma', v.gamma),
      };
    case 'exponential':
      return { name: 'exponential', gamma: num('gamma', v.gamma) };
    case 'cosine':
      return {
        name: 'cosine',
        tMax: num('t-max', v['t-max'] ?? String(epochs), { int: true, min: 1 }),
        etaMin: num('eta-min', v['eta-min']),
      };
    case 'plateau':
      return {
        name: 'plateau',
        mode: 'min',
        factor: num('factor', v.factor),
        patience: num('patience', v.patience, { int: true, min: 0 }),
        threshold: 1e-4,
        cooldown: 0,
        minLr: 0,
      };
    case 'linear':
      return {
        name: 'linear',
        startFactor: num('start-factor', v['start-factor']),
        endFactor: 1,
        totalIters: num('total-iters', v['total-iters'], { int: true, min: 1 }),
      };
    case 'onecycle':
      return {
        name: 'onecycle',
        maxLr: num('max-lr', v['max-lr'] ?? v.lr ?? '0.01'),
        pctStart: num('pct-start', v['pct-start']),
      };
    default:
      throw new UsageError(`--scheduler: unknown scheduler "${v.scheduler}"`);
  }
}

function parseConfig(v: Values): TrainConfig {
  const optimizer = v.optimizer as OptimizerName;
  if (!['sgd', 'adam', 'adamw', 'rmsprop'].includes(optimizer))
    throw new UsageError(`--optimizer must be adam, sgd, adamw or rmsprop, got "${v.optimizer}"`);
  const epochs = num('epochs', v.epochs ?? String(DEFAULT_CONFIG.epochs), { int: true, min: 1 });
  return {
    ...DEFAULT_CONFIG,
    epochs,
    batchSize: num('batch-size', v['batch-size'], { int: true, min: 1 }),
    lr: num('lr', v.lr ?? (optimizer === 'sgd' ? '0.01' : String(DEFAULT_CONFIG.lr)), { min: 0 }),
    optimizer,
    momentum: num('momentum', v.momentum, { min: 0 }),
    weightDecay: num('weight-decay', v['weight-decay'], { min: 0 }),
    seed: num('seed', v.seed, { int: true }),
    shuffle: !v['no-shuffle'],
    scheduler: schedulerConfig(v, epochs),
    clipNorm: v['clip-norm'] === undefined ? null : num('clip-norm', v['clip-norm'], { min: 0 }),
    clipValue: v['clip-value'] === undefined ? null : num('clip-value', v['clip-value'], { min: 0 }),
    labelSmoothing: num('label-smoothing', v['label-smoothing'], { min: 0 }),
    limit: v.limit === undefined ? null : num('limit', v.limit, { int: true, min: 1 }),
    valSplit: num('val-split', v['val-split'], { int: true, min: 0 }),
    logEvery: num('log-every', v['log-every'], { int: true, min: 1 }),
  };
}

function modelSpec(v: Values, inputShape: number[]): ModelSpec {
  const name = v.model ?? 'simplenn';
  let spec: ModelSpec;
  try {
    spec = PRESETS[name.toLowerCase()]
      ? structuredClone(PRESETS[name.toLowerCase()])
      : parseSpec(name, inputShape);
  } catch (e) {
    throw new UsageError(`--model: ${(e as Error).message} (presets: ${Object.keys(PRESETS).join(', ')})`);
  }
  if (v.dropout !== undefined) {
    const p = num('dropout', v.dropout, { min: 0 });
    const drops = spec.layers.filter((l) => l.type === 'Dropout');
    if (!drops.length) throw new UsageError(`--dropout: model ${spec.name} has no Dropout layer`);
    for (const l of drops) if (l.type === 'Dropout') l.p = p;
  }
  return spec;
}

async function pickBackend(name: string | undefined, log: (s: string) => void): Promise<Backend> {
  if (name === 'cpu') {
    log('Backend: cpu (plain TypeScript, slow)');
    return new CpuBackend();
  }
  if (name !== 'webgpu') throw new UsageError(`--backend must be webgpu or cpu, got "${name}"`);
  const gpu = await acquireNodeGpu().catch((e) => {
    throw new UsageError(
      `no WebGPU adapter: ${(e as Error).message} Use --backend cpu to train without a GPU.`,
    );
  });
  log(
    `Backend: webgpu on ${adapterName(gpu.summary)}${gpu.summary.isFallbackAdapter ? ' — a CPU Vulkan driver, no GPU found' : ''}`,
  );
  return new WebGPUBackend(gpu.device, { subgroups: gpu.subgroups });
}

interface Data {
  train: Dataset;
  val: Dataset;
  numClasses: number;
  inputShape: number[];
}

async function loadData(v: Values, c: TrainConfig, backend: Backend): Promise<Data> {
  const transform = new Compose([new ToTensor(), new Normalize([c.mean], [c.std])]);
  let trainRaw: RawImages;
  let testRaw: RawImages | undefined;
  if (v.dataset === 'synthetic') {
    const train = new SyntheticDataset(backend, {
      numSamples: c.limit ?? 1000,
      inputFeatures: 20,
      numClasses: 2,
      seed: c.seed,
    });
    const val = new SyntheticDataset(backend, {
      numSamples: 200,
      inputFeatures: 20,
      numClasses: 2,
      seed: c.seed + 1,
    });
    return { train, val, numClasses: 2, inputShape: [20] };
  }
  if (v.dataset === 'mnist') {
    const m = await loadMnistFromDir(v['data-dir'] ?? mnistDataDir());
    [trainRaw, testRaw] = [m.train, m.test];
  } else if (v.dataset === 'idx') {
    const dir = v['data-dir'];
    // Files named by option, else found in --data-dir under MNIST's names (.gz or not).
    const path = (opt: 'train-images' | 'train-labels' | 'test-images' | 'test-labels', file: string) =>
      v[opt] ?? (dir ? idxFileIn(dir, file) : undefined);
    if (!dir && !(v['train-images'] && v['train-labels']))
      throw new UsageError('--dataset idx needs --data-dir or --train-images and --train-labels');
    const trainImages = path('train-images', 'train-images-idx3-ubyte');
    const trainLabels = path('train-labels', 'train-labels-idx1-ubyte');
    if (!trainImages || !trainLabels) {
      const missing = trainImages ? 'train-labels-idx1-ubyte' : 'train-images-idx3-ubyte';
      throw new UsageError(`--data-dir ${dir} has no ${missing} (nor ${missing}.gz)`);
    }
    const s = await loadIdxFiles(
      {
        trainImages,
        trainLabels,
        testImages: path('test-images', 't10k-images-idx3-ubyte'),
        testLabels: path('test-labels', 't10k-labels-idx1-ubyte'),
      },
      { name: 'idx' },
    );
    [trainRaw, testRaw] = [s.train, s.test];
  } else {
    throw new UsageError(`--dataset must be mnist, synthetic or idx, got "${v.dataset}"`);
  }
  const train = new ImageDataset(backend, trainRaw, transform);
  let trainSet: Dataset = train;
  let val: Dataset;
  if (c.valSplit > 0) {
    const split = trainValidationSplit(train.length, c.valSplit, c.seed);
    trainSet = new Subset(train, split.train);
    val = new Subset(train, split.validation);
  } else if (testRaw) {
    val = new ImageDataset(backend, testRaw, transform);
  } else {
    throw new UsageError(
      'no test set: give --test-images/--test-labels, or hold out part of the training set with --val-split N',
    );
  }
  if (c.limit !== null)
    trainSet = new Subset(
      trainSet,
      Int32Array.from({ length: Math.min(c.limit, trainSet.length) }, (_, i) => i),
    );
  return {
    train: trainSet,
    val,
    numClasses: trainRaw.numClasses,
    inputShape: [trainRaw.channels, trainRaw.rows, trainRaw.cols],
  };
}

function progressBar(done: number, total: number, text: string): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${text}\x1b[K`,
  );
}

/** Reads a file the user named, or a one-line UsageError naming the option. */
async function readUserFile(option: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new UsageError(`--${option}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/** A checkpoint file parsed up front, so a bad one is refused before any work. */
async function readCheckpoint(path: string): Promise<Checkpoint> {
  const bytes = await readUserFile('resume', path);
  try {
    return parseCheckpoint(bytes);
  } catch (e) {
    throw new UsageError(`--resume ${path}: ${(e as Error).message}`);
  }
}

/** Writes next to the target and renames, so a crash mid-write never destroys the last good file. */
async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

/** The TensorBoard event file of this run, appended to as scalars arrive. */
async function openLogdir(dir: string): Promise<{ writer: SummaryWriter; flush(): Promise<void> }> {
  await mkdir(dir, { recursive: true }).catch((e) => {
    throw new UsageError(`--logdir: cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? e})`);
  });
  const writer = new SummaryWriter();
  const path = join(dir, eventFileName(hostname()));
  await writeFile(path, writer.flush());
  return { writer, flush: () => appendFile(path, writer.flush()) };
}

async function main(): Promise<void> {
  let parsed: { values: Values };
  try {
    parsed = parseArgs({ options: OPTIONS, strict: true, allowPositionals: false }) as unknown as {
      values: Values;
    };
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    return;
  }
  const resumeFrom = v.resume ? await readCheckpoint(v.resume) : null;
  // A resumed run keeps its own configuration; only the epoch count in all may change.
  const config = resumeFrom
    ? {
        ...resumeFrom.meta.config,
        epochs:
          v.epochs === undefined
            ? resumeFrom.meta.config.epochs
            : num('epochs', v.epochs, { int: true, min: 1 }),
      }
    : parseConfig(v);
  const checkpointEvery = num('checkpoint-every', v['checkpoint-every'], { int: true, min: 1 });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const backend = await pickBackend(v.backend, log);
  setDefaultBackend(backend);
  if (v.profile) {
    if (!(backend instanceof WebGPUBackend)) throw new UsageError('--profile needs the webgpu backend');
    try {
      backend.startProfiling();
    } catch (e) {
      throw new UsageError(`--profile: ${(e as Error).message}`);
    }
  }
  const data = await loadData(v, config, backend);
  const spec = resumeFrom ? resumeFrom.meta.spec : modelSpec(v, data.inputShape);
  if (spec.inputShape.join() !== data.inputShape.join()) {
    throw new UsageError(
      `the model takes inputs of shape [${spec.inputShape}], the dataset has [${data.inputShape}]`,
    );
  }
  const run: Run = createRun(spec, config, data.train);
  const { model, trainer } = run;
  if (resumeFrom) {
    try {
      restoreCheckpoint(resumeFrom, run);
    } catch (e) {
      throw new UsageError(`--resume ${v.resume}: ${(e as Error).message}`);
    }
    if (!v.json) log(`Resuming ${spec.name} after epoch ${trainer.epoch} (step ${trainer.globalStep})`);
  } else if (v.init) {
    const bytes = await readUserFile('init', v.init);
    try {
      model.loadStateDict(modelStateFromFile(bytes));
    } catch (e) {
      throw new UsageError(`--init ${v.init}: ${(e as Error).message.replace(/\n\t/g, ' ')}`);
    }
  }
  if (v['export-pytorch']) {
    const dir = v['export-pytorch'];
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'train.py'), exportPytorch(spec, config));
    if (!v.json)
      log(
        `Wrote ${join(dir, 'train.py')}: python3 ${join(dir, 'train.py')} --data-dir DIR --resume CHECKPOINT`,
      );
  }
  const tb = v.logdir ? await openLogdir(v.logdir) : null;
  const trainLoader = trainer.loader;
  const valLoader = new DataLoader(data.val, { batchSize: 1000 });
  const tty = process.stderr.isTTY && !v.json;
  if (!v.json)
    log(
      `Model ${spec.name}: ${model
        .parameters()
        .reduce((s, p) => s + p.size, 0)
        .toLocaleString()} parameters; ${data.train.length} training samples`,
    );
  for (let e = trainer.epoch; e < config.epochs; e++) {
    trainer.onStep = (m) => {
      tb?.writer.addScalar('Loss/train', m.loss, m.step, m.wallTime);
      if (tty)
        progressBar(
          m.step - e * trainLoader.length,
          trainLoader.length,
          `epoch ${e + 1}/${config.epochs} loss ${m.loss.toFixed(4)}`,
        );
    };
    const lr = trainer.lr;
    const t = await trainer.trainEpoch();
    const r = await evaluate(model, valLoader, data.numClasses);
    trainer.endEpoch(r.loss);
    const line = {
      epoch: e + 1,
      train_loss: t.trainLoss,
      val_loss: r.loss,
      val_acc: r.accuracy,
      lr,
      epoch_s: t.seconds,
      samples_per_s: t.samples / t.seconds,
    };
    if (tb) {
      tb.writer.addScalar('Loss/val', r.loss, trainer.globalStep);
      tb.writer.addScalar('Accuracy/val', r.accuracy, trainer.globalStep);
      tb.writer.addScalar('learning_rate', lr, trainer.globalStep);
      await tb.flush();
    }
    if (v.json) console.log(JSON.stringify(line));
    else {
      if (tty) process.stderr.write('\r\x1b[K');
      log(
        `epoch ${line.epoch}: train loss ${line.train_loss.toFixed(4)}, val loss ${line.val_loss.toFixed(4)}, val acc ${(line.val_acc * 100).toFixed(2)}%, ${line.epoch_s.toFixed(1)} s (${Math.round(line.samples_per_s)} samples/s), lr ${lr}`,
      );
    }
    if (v.checkpoint && ((e + 1) % checkpointEvery === 0 || e + 1 === config.epochs)) {
      await writeAtomic(v.checkpoint, await captureCheckpoint(run, t.trainLoss));
      if (!v.json) log(`Saved checkpoint (epoch ${e + 1}) to ${v.checkpoint}`);
    }
  }
  if (v.profile && backend instanceof WebGPUBackend) {
    const kernels = await backend.profile();
    const total = kernels.reduce((sum, k) => sum + k.ns, 0);
    log('GPU time per kernel (top 15; each dispatch timed in its own pass, so training ran slower):');
    for (const k of kernels.slice(0, 15)) {
      const ms = (k.ns / 1e6).toFixed(1).padStart(9);
      log(
        `${ms} ms ${((100 * k.ns) / total).toFixed(1).padStart(5)}% ${String(k.calls).padStart(7)} calls  ${k.label}`,
      );
    }
  }
  if (v.save) {
    await writeAtomic(v.save, stateDictToSafetensors(await model.stateDictData(), { model: spec.name }));
    if (!v.json) log(`Saved state dict to ${v.save}`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: ${message}\n`);
    if (
      !(e instanceof UsageError) &&
      !/^(DatasetError|SafetensorsError|StateDictError|CheckpointError|DivergenceError)$/.test(
        (e as Error)?.name,
      )
    ) {
      if (process.env.KILN_DEBUG) console.error(e);
    }
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
