/**
 * `npm run train -- [options]`: a thin shell around train/run.ts in Node, on the real GPU where
 * Dawn finds one, else on the CPU's cores (the wasm backend; --backend picks: shell.ts). It turns flags into a config (train/config.ts's settings table declares each flag,
 * its default and its checks; options.ts parses the rest),
 * checks every file it will write before the first step, and prints a progress bar on a terminal
 * or one JSON object per epoch with --json. Ctrl-C stops after the current step, writes the
 * --checkpoint there, and exits 130.
 */
import { appendFile, lstat, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Backend, setDefaultBackend, WebGPUBackend } from 'kiln';
import { modelStateFromFile, parseCheckpoint, stateDictToSafetensors } from 'kiln/checkpoint';
import {
  ConfigError,
  checkConfig,
  checkLrFindOptions,
  DEFAULT_TEXT_CONFIG,
  type TrainConfig,
} from 'kiln/config';
import { SyntheticDataset, type TextData } from 'kiln/data';
import { BUNDLED_TEXT, csvData, sampleShape } from 'kiln/datasets';
import { exportPytorch } from 'kiln/export';
import {
  idxFileIn,
  loadCsvFile,
  loadIdxFiles,
  loadMnistFromDir,
  loadTextFile,
  mnistDataDir,
} from 'kiln/node';
import { GPT_DEFAULTS, type ModelSpec, PRESETS, parseSpec, SPEC_GRAMMAR, TEXT_PRESETS } from 'kiln/spec';
import {
  eventFileName,
  type HParamValue,
  markdownVerbatim,
  SummaryWriter,
  writeSessionEnd,
  writeSessionStart,
} from 'kiln/tensorboard';
import {
  type LoadedData,
  lrFind,
  openRun,
  pacedYield,
  prepareRunData,
  RECORD_SAMPLE_CHARS,
  type Run,
  type RunData,
  type RunSource,
  recordSample,
  tensorData,
} from 'kiln/train';
import { configFromFlags, flagged, SETTING_OPTIONS } from './config_flags';
import { lrFindJson, lrFindReport, lrText } from './lr_find';
import {
  type CliOption,
  helpText,
  type OptionSection,
  type OptionValues,
  parseOptions,
  UsageError,
  type ValuesOf,
} from './options';
import { asideName, probeWritable } from './paths';
import {
  BACKEND_OPTION,
  type CliIo,
  failure,
  isEntry,
  parseUserFile,
  pickBackend,
  readUserFile,
  runProgram,
  THREADS_OPTION,
} from './shell';
import { saveTuning } from './tuning_cache';

/** The preset trained when --model is not given. */
const DEFAULT_MODEL = 'simplenn';

/** The preset a text run trains when --model is not given. */
const DEFAULT_TEXT_MODEL = 'gpt';

/** The flags that are not settings of the run: what to train, on what, and where results go. */
const MODEL_OPTIONS = [
  {
    flag: 'model',
    kind: { type: 'string' },
    arg: 'NAME|SPEC',
    help: `a preset (${Object.keys(PRESETS).join(', ')}) or a layer list (default ${DEFAULT_MODEL})
e.g. "flatten,linear:128,relu,linear:10" or "conv:16:3:1:1,bn,relu,maxpool:2,flatten,linear:10"
on --dataset text: a preset (${Object.keys(TEXT_PRESETS).join(', ')}; default ${DEFAULT_TEXT_MODEL}) sized by
the flags below and --block-size, or a layer list taking ids [block_size] ("embedding:V:64,...")
${SPEC_GRAMMAR}`,
    newRunOnly: true,
  },
  {
    flag: 'n-layer',
    kind: { type: 'count', min: 1 },
    help: `(gpt) transformer blocks (default ${GPT_DEFAULTS.nLayer})`,
    newRunOnly: true,
  },
  {
    flag: 'n-head',
    kind: { type: 'count', min: 1 },
    help: `(gpt) attention heads per block; must divide --n-embd (default ${GPT_DEFAULTS.nHead})`,
    newRunOnly: true,
  },
  {
    flag: 'tie-weights',
    kind: { type: 'boolean' },
    help: "(gpt) lm_head takes wte's weight, one tensor for both (nanoGPT's weight tying)",
    newRunOnly: true,
  },
  {
    flag: 'n-embd',
    kind: { type: 'count', min: 1 },
    help: `(gpt, mlp) embedding width (default ${GPT_DEFAULTS.nEmbd} for gpt, 24 for mlp)`,
    newRunOnly: true,
  },
  {
    flag: 'dropout',
    kind: { type: 'number' },
    arg: 'P',
    help: 'set p of every Dropout layer (a text preset: its dropout, attention included)',
    newRunOnly: true,
  },
  {
    flag: 'init',
    kind: { type: 'path', of: 'file' },
    help: "start from a .safetensors state dict (PyTorch's too)",
    newRunOnly: true,
  },
] as const satisfies readonly CliOption[];

const DATA_OPTIONS = [
  {
    flag: 'dataset',
    kind: { type: 'choice', choices: ['mnist', 'synthetic', 'idx', 'csv', 'text'] },
    help: `what to train on; text: a character-level language model (nanoGPT's recipe
for the settings' defaults: the Training section's "text" values)`,
    default: 'mnist',
  },
  {
    flag: 'text',
    kind: { type: 'path', of: 'file' },
    help: `(text) a UTF-8 text file, gzipped or not: its characters are the vocabulary, its first
90% trains and the rest validates (default: the bundled Jargon File, ${BUNDLED_TEXT.path})`,
  },
  { flag: 'data-dir', kind: { type: 'path', of: 'dir' }, help: "the folder of mnist's or idx's files" },
  ...(['train-images', 'train-labels', 'test-images', 'test-labels'] as const).map(
    (flag) =>
      ({
        flag,
        kind: { type: 'path', of: 'file' },
        help: `(idx) the ${flag.replace('-', ' ')} file`,
      }) as const,
  ),
  {
    flag: 'csv',
    kind: { type: 'path', of: 'file' },
    help: `(csv) a label column and numeric features: pixel rows train as images,
other tables as features standardised on the training split (give --val-split)`,
  },
] as const satisfies readonly CliOption[];

const OUTPUT_OPTIONS = [
  {
    flag: 'save',
    kind: { type: 'path', of: 'file' },
    help: 'the final state dict, for model.load_state_dict(safetensors.torch.load_file(FILE))',
  },
  {
    flag: 'checkpoint',
    kind: { type: 'path', of: 'file' },
    help: `a full checkpoint (model, optimizer, scheduler, RNG, data position)
after every epoch, or every N with --checkpoint-every N (and after the last)`,
  },
  {
    flag: 'checkpoint-every',
    kind: { type: 'count', min: 1 },
    help: 'epochs between checkpoints',
    default: '1',
  },
  {
    flag: 'resume',
    kind: { type: 'path', of: 'file' },
    help: 'continue the run of a checkpoint exactly, with its settings; --epochs counts epochs in all',
  },
  {
    flag: 'logdir',
    kind: { type: 'path', of: 'dir' },
    help: `TensorBoard event file: Loss/train, learning_rate, Loss/val, Accuracy/val (a text run:
also BPC/val, Perplexity/val and, at each evaluation, a ${RECORD_SAMPLE_CHARS}-character sample as text)`,
  },
  {
    flag: 'histograms-every',
    kind: { type: 'count', min: 1 },
    help: `also every N steps (needs --logdir): each parameter's and gradient's histogram
(fc1.weight, fc1.weight.grad), grad_norm/<name> and update_ratio/<name>`,
  },
  {
    flag: 'export-pytorch',
    kind: { type: 'path', of: 'dir' },
    help: 'write DIR/train.py: this model and configuration as a PyTorch program',
  },
  BACKEND_OPTION,
  THREADS_OPTION,
  {
    flag: 'json',
    kind: { type: 'boolean' },
    help: 'one JSON object per epoch (a text run: per evaluation) on stdout',
  },
  {
    flag: 'eval-only',
    kind: { type: 'boolean' },
    help: `with --init or --resume: evaluate those weights on the whole validation set, print one
JSON line and exit (a text run: its loss in nats and bits per character)`,
  },
  {
    flag: 'lr-find',
    kind: { type: 'boolean' },
    help: `instead of training, the learning-rate range test (Smith 2017; fastai's lr_find):
a copy of the model trains up to 100 steps as lr grows from 1e-7 to 10, until the loss diverges;
prints the curve, the steepest descent and minimum/10, the suggested lr; writes nothing
(with --json: one line holding suggested_lr, the marks and the curve)`,
  },
  {
    flag: 'profile',
    kind: { type: 'boolean' },
    help: 'time every GPU kernel and print the top ones at the end (on WebGPU, a CPU Vulkan driver too)',
  },
  { flag: 'help', kind: { type: 'boolean' }, help: 'this text' },
] as const satisfies readonly CliOption[];

/** Every option, by --help's sections (a sweep's runs take them too). */
export const SECTIONS: readonly OptionSection[] = [
  { title: 'Model', options: MODEL_OPTIONS },
  { title: "Training (PyTorch's defaults)", options: SETTING_OPTIONS },
  { title: 'Data', options: DATA_OPTIONS },
  { title: 'Output (every path is checked before the first step)', options: OUTPUT_OPTIONS },
];

/** The parsed command line: the typed flags of this file's tables, the settings' by name. */
export type Values = ValuesOf<[...typeof MODEL_OPTIONS, ...typeof DATA_OPTIONS, ...typeof OUTPUT_OPTIONS]> &
  OptionValues;

/**
 * Flags that describe a new run: a resumed run keeps its checkpoint's, so they are refused with
 * --resume (named the settings' first, in the config's order).
 */
const NEW_RUN_ONLY = [...SETTING_OPTIONS, ...MODEL_OPTIONS, ...DATA_OPTIONS, ...OUTPUT_OPTIONS]
  .filter((o: CliOption) => o.newRunOnly)
  .map((o) => o.flag);

const HELP = helpText(
  'Usage: npm run train -- [options]',
  SECTIONS,
  'Ctrl-C stops after the current step and writes the --checkpoint there (exit code 130).',
);

/** The text preset --model names (the default's when none is given), or undefined for a layer list. */
function textPreset(v: Values): ((typeof TEXT_PRESETS)[string] & {}) | undefined {
  return TEXT_PRESETS[(v.model ?? DEFAULT_TEXT_MODEL).toLowerCase()];
}

/** A text run's model: a preset sized by the flags, or a layer list taking ids [block_size]. */
function textModelSpec(v: Values, text: TextData, config: TrainConfig): ModelSpec {
  const preset = textPreset(v);
  const vocabSize = [...text.vocab].length;
  if (!preset) {
    if (v.dropout !== undefined)
      throw new UsageError("--dropout sets a text preset's dropout: write dropout:P into a layer list");
    try {
      return parseSpec(v.model as string, [config.blockSize], 'custom', 'int32');
    } catch (e) {
      throw new UsageError(
        `--model: ${(e as Error).message} (text presets: ${Object.keys(TEXT_PRESETS).join(', ')}; see --help)`,
      );
    }
  }
  return preset({
    vocabSize,
    blockSize: config.blockSize,
    nLayer: v['n-layer'],
    nHead: v['n-head'],
    nEmbd: v['n-embd'],
    dropout: v.dropout,
    tie: v['tie-weights'],
  });
}

/** The text flags checked before any work: they apply to text, and the GPT's widths fit its heads. */
function checkTextFlags(v: Values): void {
  const sizes = (['n-layer', 'n-head', 'n-embd', 'tie-weights'] as const).filter((f) => v[f] !== undefined);
  if (v.dataset !== 'text') {
    if (sizes.length) throw new UsageError(`--${sizes[0]} sizes a text model: it needs --dataset text`);
    return;
  }
  if (v.dropout !== undefined && !(v.dropout >= 0 && v.dropout < 1))
    throw new UsageError(`--dropout must lie in [0, 1), got ${v.dropout}`);
  const name = (v.model ?? DEFAULT_TEXT_MODEL).toLowerCase();
  if (sizes.length && !(name in TEXT_PRESETS))
    throw new UsageError(
      `--${sizes[0]} sizes a text preset (${Object.keys(TEXT_PRESETS).join(', ')}), not a layer list`,
    );
  if (name === 'gpt') {
    const nHead = v['n-head'] ?? GPT_DEFAULTS.nHead;
    const nEmbd = v['n-embd'] ?? GPT_DEFAULTS.nEmbd;
    if (nEmbd % nHead !== 0)
      throw new UsageError(
        `--n-embd ${nEmbd} is not divisible by --n-head ${nHead}: each head takes n_embd / n_head of the width`,
      );
  }
}

function modelSpec(v: Values, inputShape: number[]): ModelSpec {
  const name = v.model ?? DEFAULT_MODEL;
  let spec: ModelSpec;
  try {
    spec = PRESETS[name.toLowerCase()]
      ? structuredClone(PRESETS[name.toLowerCase()])
      : parseSpec(name, inputShape);
  } catch (e) {
    throw new UsageError(
      `--model: ${(e as Error).message} (presets: ${Object.keys(PRESETS).join(', ')}; see --help)`,
    );
  }
  if (v.dropout !== undefined) {
    const p = v.dropout;
    const drops = spec.layers.filter((l) => l.type === 'Dropout');
    if (!drops.length) throw new UsageError(`--dropout: model ${spec.name} has no Dropout layer`);
    for (const l of drops) if (l.type === 'Dropout') l.p = p;
  }
  return spec;
}

/** The dataset the flags name, read into memory (synthetic data are made per config instead). */
async function loadData(v: Values): Promise<LoadedData | 'synthetic' | { text: TextData }> {
  const dataset = v.dataset;
  // A file flag of another dataset kind would be ignored: the run would train on other data.
  const fileFlags = {
    text: ['text'],
    csv: ['csv'],
    idx: ['train-images', 'train-labels', 'test-images', 'test-labels'],
  } as const;
  for (const [kind, flags] of Object.entries(fileFlags)) {
    const given = flags.find((f) => v[f] !== undefined);
    if (given && dataset !== kind) throw new UsageError(`--${given} needs --dataset ${kind}`);
  }
  if (dataset === 'synthetic') return 'synthetic';
  if (dataset === 'text') return { text: await loadTextFile(v.text) };
  if (dataset === 'mnist') {
    const m = await loadMnistFromDir(v['data-dir'] ?? mnistDataDir());
    return { name: 'mnist', train: m.train, test: m.test };
  }
  if (dataset === 'csv') {
    if (!v.csv) throw new UsageError('--dataset csv needs --csv FILE');
    const table = await loadCsvFile(v.csv);
    return { name: table.name, train: csvData(table) };
  }
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
  return { name: dir ?? 'idx', train: s.train, test: s.test };
}

/** Synthetic data for a config: two classes of 20 features, its size the limit (1,000 by default). */
function syntheticData(backend: Backend, c: TrainConfig): RunData {
  const n = c.limit ?? 1000;
  const make = (numSamples: number, seed: number) =>
    new SyntheticDataset(backend, { numSamples, inputFeatures: 20, numClasses: 2, seed });
  return tensorData('synthetic', make(n, c.seed), make(200, c.seed + 1), `synthetic ${n} ${c.seed}`);
}

/**
 * Checks before any work that `path` can be written: a file in an existing, writable directory
 * (`kind` 'file'), or a directory that exists or can be made under a writable one ('dir').
 */
async function checkWritable(flag: string, path: string, kind: 'file' | 'dir'): Promise<void> {
  const fail = (why: string) => new UsageError(`--${flag}: cannot write ${path} (${why})`);
  const info = await stat(path).catch(() => null);
  if (info) {
    if (kind === 'file' && info.isDirectory()) throw fail('it is a directory');
    if (kind === 'dir' && !info.isDirectory()) throw fail('it is a file, not a directory');
    await probeWritable(kind === 'dir' ? path : dirname(resolve(path))).catch((e) => {
      throw fail(e.code);
    });
    return;
  }
  // The nearest existing ancestor must be a writable directory; a file only goes into an existing one.
  let dir = dirname(resolve(path));
  if (kind === 'file') {
    const parent = await stat(dir).catch(() => null);
    if (!parent) throw fail(`the directory ${dir} does not exist`);
  }
  for (;;) {
    const found = await stat(dir).catch(() => null);
    if (found) {
      if (!found.isDirectory()) throw fail(`${dir} is a file, not a directory`);
      await probeWritable(dir).catch((e) => {
        throw fail(`${dir}: ${e.code}`);
      });
      return;
    }
    if (dirname(dir) === dir) throw fail('no existing parent directory');
    dir = dirname(dir);
  }
}

/** Writes next to the target and renames, so a crash mid-write never destroys the last good file. */
async function writeAtomic(flag: string, path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = asideName(path, '.tmp');
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new UsageError(`--${flag}: cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/** The flags --lr-find cannot go with: another mode, or an output of a training it does not do. */
function checkLrFindFlags(v: Values): void {
  if (v.resume)
    throw new UsageError(
      "--lr-find looks for a new run's learning rate, and --resume continues a checkpoint's run with its own: to test from its weights, give --init FILE (a checkpoint too) instead",
    );
  if (v['eval-only']) throw new UsageError('--lr-find and --eval-only are two modes: give one');
  const outputs = (
    ['save', 'checkpoint', 'logdir', 'histograms-every', 'export-pytorch', 'profile'] as const
  ).filter((f) => v[f] !== undefined);
  if (outputs.length)
    throw new UsageError(
      `--lr-find writes nothing and trains nothing to keep: drop ${outputs.map((f) => `--${f}`).join(', ')} (run again without --lr-find, at the lr it suggests)`,
    );
}

/** The same file named twice as an output, or an output over the checkpoint being resumed. */
function checkDistinctPaths(v: Values): void {
  const named = (['resume', 'init', 'save', 'checkpoint'] as const).flatMap((f) => {
    const path = v[f];
    return path === undefined ? [] : [[f, resolve(path)] as const];
  });
  for (const [i, [a, pa]] of named.entries()) {
    for (const [b, pb] of named.slice(i + 1)) {
      if (pa === pb && (b === 'save' || b === 'checkpoint')) {
        throw new UsageError(
          `--${a} and --${b} name the same file ${v[a]}: the ${b === 'save' ? 'state dict' : 'checkpoint'} would overwrite it; give --${b} another path`,
        );
      }
    }
  }
}

/** The TensorBoard event file of this run, appended to as scalars arrive. */
async function openLogdir(dir: string): Promise<{ writer: SummaryWriter; flush(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const writer = new SummaryWriter();
  const path = join(dir, eventFileName(hostname()));
  await writeFile(path, writer.flush());
  return { writer, flush: () => appendFile(path, writer.flush()) };
}

function progressBar(done: number, total: number, text: string): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${text}\x1b[K`,
  );
}

/**
 * The config of a new run the flags describe (not a resumed one): the defaults of its kind of data
 * (a text run's are nanoGPT's), the flags over them. Not yet checked.
 */
export function newRunConfig(v: Values): TrainConfig {
  return configFromFlags(v, v.dataset === 'text' ? DEFAULT_TEXT_CONFIG : undefined);
}

/**
 * What a caller running several trainings in one process (a sweep) adds to one: the backend it
 * keeps across them (a device each would pile up), and the run's hyperparameters, written into
 * its event file as TensorBoard's HParams plugin reads them (a session start, and a session end
 * with its status).
 */
export interface TrainExtras {
  backend?: Backend;
  hparams?: Record<string, HParamValue>;
}

/** Runs `npm run train` with `argv`; resolves with the run (for tests) and whether it was stopped. */
export async function trainCli(
  argv: string[],
  io: CliIo,
  extras: TrainExtras = {},
): Promise<{ run: Run | null; stopped: boolean }> {
  const v = parseOptions(SECTIONS, argv) as Values;
  if (v.help) {
    io.stdout(HELP);
    return { run: null, stopped: false };
  }
  const log = (s: string) => io.stderr(s);
  // Everything the user typed is checked, and every output path, before any data or GPU work.
  checkDistinctPaths(v);
  if (v['lr-find']) checkLrFindFlags(v);
  const resume = v.resume
    ? parseUserFile('resume', v.resume, await readUserFile('resume', v.resume), parseCheckpoint)
    : null;
  if (resume) {
    const clash = NEW_RUN_ONLY.filter((f) => v[f] !== undefined);
    if (clash.length) {
      throw new UsageError(
        `--resume continues the checkpoint's own run with its settings: drop ${clash.map((f) => `--${f}`).join(', ')} (only --epochs, or a text run's --steps, may change; start a new run with --init to train from its weights)`,
      );
    }
    if ((resume.meta.vocab !== undefined) !== (v.dataset === 'text')) {
      throw new UsageError(
        resume.meta.vocab !== undefined
          ? '--resume: the checkpoint is of a text run: give --dataset text (and the --text FILE it trained on)'
          : `--resume: the checkpoint is of an image or table run, not of --dataset text`,
      );
    }
  }
  if (v['eval-only'] && !(v.init || v.resume))
    throw new UsageError('--eval-only evaluates loaded weights: give --init FILE or --resume FILE');
  checkTextFlags(v);
  let config: TrainConfig;
  try {
    config = resume ? resume.meta.config : newRunConfig(v);
    if (resume && v.epochs !== undefined) config = { ...config, epochs: v.epochs as number };
    if (resume && v.steps !== undefined) {
      if (config.steps === null)
        throw new UsageError('--steps: the checkpoint is of a run in epochs: give --epochs');
      config = { ...config, steps: v.steps as number };
    }
    checkConfig(config);
  } catch (e) {
    throw e instanceof ConfigError ? flagged(e) : e;
  }
  const checkpointEvery = v['checkpoint-every'];
  const histogramsEvery = v['histograms-every'];
  if (histogramsEvery !== undefined && !v.logdir) {
    throw new UsageError('--histograms-every writes to the TensorBoard event file: give --logdir DIR too');
  }
  if (v.save) await checkWritable('save', v.save, 'file');
  if (v.checkpoint) await checkWritable('checkpoint', v.checkpoint, 'file');
  if (v.logdir) await checkWritable('logdir', v.logdir, 'dir');
  if (v['export-pytorch']) {
    await checkWritable('export-pytorch', v['export-pytorch'], 'dir');
    // A train.py there may hold the user's edits: refused, as --save over the resumed checkpoint is.
    const script = join(v['export-pytorch'], 'train.py');
    if (await lstat(script).catch(() => null))
      throw new UsageError(
        `--export-pytorch ${v['export-pytorch']}: ${script} already exists and would be replaced; move it or give another DIR`,
      );
  }
  const init = v.init
    ? parseUserFile('init', v.init, await readUserFile('init', v.init), modelStateFromFile)
    : null;

  // --profile times GPU kernels: with the default backend it takes WebGPU, on a CPU Vulkan driver too.
  const backendName = v.profile && v.backend === 'auto' ? 'webgpu' : v.backend;
  const backend = extras.backend ?? (await pickBackend(backendName, log, v.threads));
  setDefaultBackend(backend);
  if (v.profile) {
    if (!(backend instanceof WebGPUBackend)) throw new UsageError('--profile needs the webgpu backend');
    try {
      backend.startProfiling();
    } catch (e) {
      throw new UsageError(`--profile: ${(e as Error).message}`);
    }
  }
  const loaded = await loadData(v);
  const spec = resume
    ? resume.meta.spec
    : loaded === 'synthetic'
      ? modelSpec(v, [20])
      : 'text' in loaded
        ? textModelSpec(v, loaded.text, config)
        : modelSpec(v, sampleShape(loaded.train));
  const prepare = (c: TrainConfig) => {
    if (loaded === 'synthetic') return syntheticData(backend, c);
    return prepareRunData(backend, 'text' in loaded ? loaded.text : loaded, c, spec);
  };
  const source: RunSource = resume
    ? {
        checkpoint: resume,
        epochs: config.epochs,
        ...(v.steps === undefined ? {} : { steps: config.steps as number }),
      }
    : { spec, config };
  let run: Run;
  try {
    run = openRun(source, prepare);
  } catch (e) {
    // The data's refusals (a split past the data, a normalisation a table does not take), by flag.
    throw e instanceof ConfigError ? flagged(e) : e;
  }
  try {
    return {
      run,
      stopped: await trainRun(
        run,
        v,
        io,
        init,
        { checkpointEvery, histogramsEvery },
        resume !== null,
        extras.hparams,
      ),
    };
  } catch (e) {
    // A caller running several on one backend (a sweep) goes on: what a failed run holds goes now.
    if (extras.backend) run.dispose();
    throw e;
  } finally {
    if (backend instanceof WebGPUBackend) await saveTuning(backend.tuner.adapterKey, backend.tuner.chosen);
  }
}

async function trainRun(
  run: Run,
  v: Values,
  io: CliIo,
  init: ReturnType<typeof modelStateFromFile> | null,
  every: { checkpointEvery: number; histogramsEvery?: number },
  resumed: boolean,
  hparams?: Record<string, HParamValue>,
): Promise<boolean> {
  const log = (s: string) => io.stderr(s);
  const { spec, config, model } = run;
  if (init) {
    try {
      model.loadStateDict(init);
    } catch (e) {
      throw new UsageError(`--init ${v.init}: ${(e as Error).message.replace(/\n\t/g, ' ')}`);
    }
  }
  if (v['export-pytorch']) {
    const dir = v['export-pytorch'];
    await mkdir(dir, { recursive: true });
    await writeAtomic('export-pytorch', join(dir, 'train.py'), exportPytorch(spec, config));
    if (!v.json)
      log(
        `Wrote ${join(dir, 'train.py')}: python3 ${join(dir, 'train.py')} ${run.data.vocab === undefined ? '--data-dir DIR' : '--text FILE'} --resume CHECKPOINT`,
      );
  }
  const text = run.data.vocab !== undefined;
  if (v['eval-only']) {
    // The loaded weights on the whole validation set, nothing trained or written.
    const val = await run.evaluate();
    io.stdout(
      JSON.stringify({
        step: run.globalStep,
        val_loss: val.loss,
        ...(text
          ? { val_bpc: val.loss / Math.LN2, perplexity: Math.exp(val.loss) }
          : { val_acc: val.accuracy }),
        val_samples: val.samples,
      }),
    );
    return false;
  }
  if (v['lr-find']) return findLr(run, v, io, io.tty && !v.json);
  const tb = v.logdir ? await openLogdir(v.logdir) : null;
  if (tb && hparams) {
    writeSessionStart(tb.writer, hparams);
    await tb.flush();
  }
  try {
    const stopped = await fitRun(run, v, io, tb, every, resumed);
    // A stopped run has no end yet: the HParams tab shows it as unfinished, not as a result.
    if (tb && hparams && !stopped) writeSessionEnd(tb.writer, 'success');
    return stopped;
  } catch (e) {
    if (tb && hparams) writeSessionEnd(tb.writer, 'failure');
    throw e;
  } finally {
    await tb?.flush();
  }
}

/** Trains `run` to its end (or a stop), reporting and writing as the flags ask; true if stopped. */
async function fitRun(
  run: Run,
  v: Values,
  io: CliIo,
  tb: Awaited<ReturnType<typeof openLogdir>> | null,
  every: { checkpointEvery: number; histogramsEvery?: number },
  resumed: boolean,
): Promise<boolean> {
  const log = (s: string) => io.stderr(s);
  const { spec, config, model } = run;
  const text = run.data.vocab !== undefined;
  const tty = io.tty && !v.json;
  if (resumed && !v.json) log(`Resuming ${spec.name} after epoch ${run.epoch} (step ${run.globalStep})`);
  if (!v.json) {
    const params = model.parameters().reduce((s, p) => s + p.size, 0);
    const norm = run.data.normalization;
    log(
      text
        ? `Model ${spec.name}: ${params.toLocaleString()} parameters; ${run.data.name}: ${[...(run.data.vocab as string)].length} characters in the vocabulary, ${run.data.train.length + config.blockSize} training characters; ${config.steps} steps of ${config.batchSize} windows of ${config.blockSize}`
        : `Model ${spec.name}: ${params.toLocaleString()} parameters; ${run.data.train.length} training samples${
            norm ? `, Normalize(mean=${norm.mean.toFixed(4)}, std=${norm.std.toFixed(4)})` : ''
          }`,
    );
  }
  const outcome = await run.fit(
    {
      scalars: (scalars) => {
        for (const s of scalars) tb?.writer.addScalar(s.tag, s.value, s.step, s.wallTime / 1000);
        const loss = scalars.find((s) => s.tag === 'Loss/train');
        if (loss && tty && config.steps !== null) {
          progressBar(
            loss.step,
            config.steps,
            `step ${loss.step}/${config.steps} loss ${loss.value.toFixed(4)}`,
          );
        } else if (loss && tty) {
          const e = run.epoch;
          progressBar(
            loss.step - e * run.stepsPerEpoch,
            run.stepsPerEpoch,
            `epoch ${e + 1}/${config.epochs} loss ${loss.value.toFixed(4)}`,
          );
        }
      },
      epoch: async ({ epoch, step, train, val, lr }) => {
        // What the model writes now, in the run's record: a user watches it learn to write.
        if (text && tb)
          tb.writer.addText(
            'samples',
            markdownVerbatim(await recordSample(model, spec, run.data.vocab as string)),
            step,
          );
        await tb?.flush();
        if (text) {
          // Losses in nats per character; a window of blockSize ids is blockSize tokens.
          const line = {
            step,
            train_loss: train.trainLoss,
            val_loss: val.loss,
            val_bpc: val.loss / Math.LN2,
            perplexity: Math.exp(val.loss),
            lr,
            tokens_per_s: (train.samples * config.blockSize) / train.seconds,
          };
          if (v.json) io.stdout(JSON.stringify(line));
          else {
            if (tty) process.stderr.write('\r\x1b[K');
            log(
              `step ${step}: train loss ${line.train_loss.toFixed(4)}, val loss ${line.val_loss.toFixed(4)} (${line.val_bpc.toFixed(3)} bits per character, perplexity ${line.perplexity.toFixed(2)}), ${Math.round(line.tokens_per_s)} tokens/s, lr ${lr.toPrecision(4)}`,
            );
          }
          return;
        }
        const line = {
          epoch,
          train_loss: train.trainLoss,
          val_loss: val.loss,
          val_acc: val.accuracy,
          lr,
          epoch_s: train.seconds,
          samples_per_s: train.samples / train.seconds,
        };
        if (v.json) io.stdout(JSON.stringify(line));
        else {
          if (tty) process.stderr.write('\r\x1b[K');
          log(
            `epoch ${epoch}: train loss ${line.train_loss.toFixed(4)}, val loss ${line.val_loss.toFixed(4)}, val acc ${(line.val_acc * 100).toFixed(2)}%, ${line.epoch_s.toFixed(1)} s (${Math.round(line.samples_per_s)} samples/s), lr ${lr}`,
          );
        }
      },
      histograms: (items) => {
        for (const h of items) tb?.writer.addHistogram(h.tag, h.hist, h.step, h.wallTime / 1000);
      },
      checkpoint: v.checkpoint
        ? async (bytes) => {
            await writeAtomic('checkpoint', v.checkpoint as string, bytes);
            if (!v.json)
              log(`Saved checkpoint (epoch ${run.epoch}, step ${run.globalStep}) to ${v.checkpoint}`);
          }
        : undefined,
    },
    {
      checkpointEvery: v.checkpoint ? every.checkpointEvery : 0,
      histogramsEvery: every.histogramsEvery,
      shouldStop: io.stopRequested,
      // Let the event loop run now and then: a Ctrl-C is seen only between tasks.
      waitWhilePaused: pacedYield(),
    },
  );
  await tb?.flush();
  const backend = model.parameters()[0].backend;
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
  if (outcome === 'stopped') {
    if (tty) process.stderr.write('\r\x1b[K');
    log(
      v.checkpoint
        ? `Stopped at step ${run.globalStep}; resume with --resume ${v.checkpoint}`
        : `Stopped at step ${run.globalStep} (no --checkpoint was given, so nothing was saved)`,
    );
    return true;
  }
  if (v.save) {
    const bytes = stateDictToSafetensors(await model.stateDictData(), {
      model: spec.name,
      spec: JSON.stringify(spec),
      // A text model's ids mean nothing without their characters.
      ...(text ? { vocab: run.data.vocab as string } : {}),
    });
    await writeAtomic('save', v.save, bytes);
    if (!v.json) log(`Saved state dict to ${v.save}`);
  }
  return false;
}

/** --lr-find: the range test on the run's model and data, its report on stdout; true if stopped. */
async function findLr(run: Run, v: Values, io: CliIo, tty: boolean): Promise<boolean> {
  const settings = checkLrFindOptions({});
  const result = await lrFind(run, {
    shouldStop: io.stopRequested,
    waitWhilePaused: pacedYield(),
    onPoint: (p) => {
      if (tty) progressBar(p.step, settings.numIt, `lr ${lrText(p.lr)} loss ${p.smoothed.toFixed(4)}`);
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const { spec, config } = run;
  io.stdout(
    v.json
      ? lrFindJson(result)
      : lrFindReport(
          result,
          settings,
          `${spec.name} with ${config.optimizer}, batch size ${config.batchSize}`,
        ),
  );
  return result.end === 'stopped';
}

/**
 * The CLI as a process runs it: errors become one `error: ...` line on stderr and an exit code, 0
 * done, 1 a failure of the run or its data, 2 a usage or settings error, 130 stopped (Ctrl-C).
 */
export async function cliMain(argv: string[], io: CliIo): Promise<number> {
  try {
    const { stopped } = await trainCli(argv, io);
    return stopped ? 130 : 0;
  } catch (e) {
    return failure(e, io);
  }
}

// Run as a program, not imported by a test nor bundled into another entry (the sweep).
if (isEntry(import.meta.url, 'src/cli/train.ts')) void runProgram(cliMain);
