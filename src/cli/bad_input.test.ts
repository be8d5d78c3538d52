/**
 * Bad input to `npm run train`, table-driven: each case is refused with one clear line naming the
 * problem, a non-zero exit code, no stack trace, and every file that was there before unchanged
 * (no .tmp left behind). Cases run in-process through cliMain, the CLI's own entry, on the cpu
 * backend and a small slice of real MNIST.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { irisLikeCsv, mnistHead } from '../data/testing';
import { decodeSafetensors, encodeSafetensors } from '../train/safetensors';
import { runCli } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'kiln-bad-'));
const data = join(dir, 'data');
const odd = join(dir, 'odd-labels');
const file = (name: string) => join(dir, name);

const DATA = ['--backend', 'cpu', '--dataset', 'idx', '--data-dir', data, '--val-split', '100'];
const QUICK = [...DATA, '--epochs', '1', '--batch-size', '100'];
/** A text run on one of the text files made below, a bigram for speed. */
const TEXT = (name: string) => [
  ...['--backend', 'cpu', '--dataset', 'text', '--text', file(name), '--model', 'bigram'],
  ...['--steps', '2', '--eval-every', '2', '--batch-size', '4', '--block-size', '4'],
];
/** Resuming one of the checkpoints made below, on the small data (or other data). */
const resume = (name: string, on = data) => [
  '--backend',
  'cpu',
  '--dataset',
  'idx',
  '--data-dir',
  on,
  '--resume',
  file(name),
];

/** Every file under the temp folder with a hash of its bytes. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha1').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  mkdirSync(data);
  mkdirSync(odd);
  for (const [name, n] of [
    ['train-images-idx3-ubyte', 600],
    ['train-labels-idx1-ubyte', 600],
  ] as const) {
    writeFileSync(join(data, name), mnistHead(name, n));
    const copy = mnistHead(name, n);
    // The first label becomes 10: an eleventh class SimpleNN cannot score.
    if (name.includes('labels')) copy[8] = 10;
    writeFileSync(join(odd, name), copy);
  }
  writeFileSync(file('a-file'), 'not a directory');
  mkdirSync(file('exported'));
  writeFileSync(file('exported/train.py'), '# the user edited this export\n');
  writeFileSync(file('empty.txt'), '');
  writeFileSync(file('binary.txt'), Uint8Array.of(104, 105, 0, 7, 255));
  writeFileSync(file('latin1.txt'), Uint8Array.of(99, 97, 102, 0xe9, 10));
  writeFileSync(file('one.txt'), 'aaaaaaaaaaaaaaaaaaaa');
  // 50 characters: 45 to train on, 5 to validate on.
  writeFileSync(file('short.txt'), 'abcdefghij'.repeat(5));

  writeFileSync(file('iris.csv'), irisLikeCsv(60));
  // A real checkpoint of a finished one-epoch run, and edited copies of it.
  const made = await runCli(...QUICK, '--checkpoint', file('run.safetensors'));
  expect(made.code, made.stderr.join('\n')).toBe(0);
  const bytes = new Uint8Array(readFileSync(file('run.safetensors')));
  const ckpt = decodeSafetensors(bytes);
  const meta = JSON.parse(ckpt.metadata['kiln.checkpoint']);
  const edit = (name: string, m: unknown) =>
    writeFileSync(
      file(name),
      encodeSafetensors(ckpt.tensors, { 'kiln.checkpoint': typeof m === 'string' ? m : JSON.stringify(m) }),
    );
  edit('batch999.safetensors', { ...meta, config: { ...meta.config, batchSize: 999, epochs: 3 } });
  edit('epoch5of3.safetensors', { ...meta, epoch: 5, config: { ...meta.config, epochs: 3 } });
  edit('notjson.safetensors', '{"epoch": 1,');
  edit('huge.safetensors', {
    ...meta,
    spec: {
      ...meta.spec,
      layers: [
        { type: 'Flatten' },
        { type: 'Linear', name: 'fc1', inFeatures: 784, outFeatures: 400000 },
        { type: 'Linear', name: 'fc2', inFeatures: 400000, outFeatures: 10 },
      ],
    },
  });
  writeFileSync(file('truncated.safetensors'), bytes.subarray(0, bytes.length - 7));
  writeFileSync(file('statedict.safetensors'), encodeSafetensors(ckpt.tensors));
}, 120_000);

/** [what, argv, the one line's pattern, exit code]. */
const CASES: [string, () => string[], RegExp, number][] = [
  // Silently wrong before: the model against the data, non-finite numbers, nothing to train on.
  [
    'a model narrower than the classes',
    () => [...QUICK, '--model', 'flatten,linear:5'],
    /last layer \(1: Linear\) gives 5 outputs, the dataset has 10 classes/,
    2,
  ],
  [
    'labels past the model (label 10 on SimpleNN)',
    () => [...QUICK, '--data-dir', odd],
    /gives 10 outputs, the dataset has 11 classes/,
    2,
  ],
  ['an infinite learning rate', () => [...QUICK, '--lr', '1e400'], /--lr expects a number, got "1e400"/, 2],
  ['a hexadecimal number', () => [...QUICK, '--lr', '0x10'], /--lr expects a number, got "0x10"/, 2],
  [
    'a negative learning rate',
    () => [...QUICK, '--lr', '-1'],
    /--lr: the learning rate must be a finite number > 0, got -1/,
    2,
  ],
  [
    'a normalisation std of 0',
    () => [...QUICK, '--std', '0'],
    /--std: the normalisation std must be a finite number > 0, got 0/,
    2,
  ],
  [
    'a normalisation mean for a table, whose features are each standardised with their own',
    () => [
      '--backend',
      'cpu',
      '--dataset',
      'csv',
      '--csv',
      file('iris.csv'),
      '--val-split',
      '10',
      '--model',
      'linear:3',
      '--mean',
      '0.5',
    ],
    /--mean: the normalisation mean and std apply to images: a table's features are each standardised/,
    2,
  ],
  [
    'a validation split as large as the data',
    () => [...QUICK, '--val-split', '600'],
    /--val-split: the validation split \(600\) leaves no training samples: the training set has 600/,
    2,
  ],
  [
    'a huge validation split',
    () => [...QUICK, '--val-split', '100000'],
    /--val-split: the validation split \(100000\) leaves no training samples/,
    2,
  ],
  [
    'no test set and no validation split',
    () => [...QUICK, '--val-split', '0'],
    /no test set: hold out part of the training set/,
    2,
  ],
  [
    'a seed past 2^53',
    () => [...QUICK, '--seed', '1e300'],
    /--seed: the seed must be a whole number from 0/,
    2,
  ],
  ['a negative seed', () => [...QUICK, '--seed', '-5'], /--seed: the seed must be a whole number/, 2],
  [
    'momentum with Adam',
    () => [...QUICK, '--momentum', '0.9'],
    /--momentum: momentum applies to sgd and rmsprop; adam has none/,
    2,
  ],
  [
    'Nesterov without momentum',
    () => [...QUICK, '--optimizer', 'sgd', '--nesterov'],
    /--nesterov: Nesterov momentum needs a momentum > 0/,
    2,
  ],
  ['Nesterov with Adam', () => [...QUICK, '--nesterov'], /--nesterov: Nesterov momentum is SGD's/, 2],
  [
    'a diverging run (its --save is not written)',
    () => [...QUICK, '--optimizer', 'sgd', '--lr', '1e6', '--save', file('diverged.safetensors')],
    /loss (became (NaN|Infinity|-Infinity)|grew to \S+) at step \d+/,
    1,
  ],
  [
    'Adam at lr 1e10: a loss that explodes but stays finite is divergence too',
    () => [...QUICK, '--optimizer', 'adam', '--lr', '1e10', '--save', file('exploded.safetensors')],
    /the training loss grew to \S+ at step \d+, over 10 times its first value .*Try a lower learning rate/,
    1,
  ],
  // Resuming: the checkpoint's own run, on its own data, with more epochs to go.
  [
    '--resume with --model',
    () => [...DATA, '--resume', file('run.safetensors'), '--epochs', '2', '--model', 'lenet'],
    /--resume continues the checkpoint's own run with its settings: drop --val-split, --model/,
    2,
  ],
  [
    '--resume with --lr and --optimizer',
    () => [...resume('run.safetensors'), '--lr', '0.1', '--optimizer', 'sgd'],
    /drop --lr, --optimizer/,
    2,
  ],
  [
    '--resume with --init',
    () => [...resume('run.safetensors'), '--init', file('run.safetensors')],
    /drop --init/,
    2,
  ],
  [
    '--resume with its epochs already done',
    () => [...resume('run.safetensors')],
    /has done 1 of 1 epochs already: ask for more epochs/,
    2,
  ],
  [
    '--resume on other data',
    () => [...resume('run.safetensors', odd), '--epochs', '2'],
    /trained on .* not on the data loaded now/,
    1,
  ],
  [
    '--resume of edited metadata (batch 999)',
    () => [...resume('batch999.safetensors')],
    /counters disagree/,
    1,
  ],
  [
    '--resume of edited metadata (epoch 5 of 3)',
    () => ['--resume', file('epoch5of3.safetensors')],
    /epoch 5 is past the run's 3 epochs/,
    2,
  ],
  [
    '--resume of metadata that is not JSON',
    () => ['--resume', file('notjson.safetensors')],
    /checkpoint metadata is damaged \(not valid JSON\)/,
    2,
  ],
  [
    '--resume of a spec far larger than the file',
    () => ['--resume', file('huge.safetensors')],
    /the model spec describes \d+ values, the file holds \d+/,
    2,
  ],
  [
    '--resume of a truncated file',
    () => ['--resume', file('truncated.safetensors')],
    /--resume .*truncated\.safetensors: /,
    2,
  ],
  [
    '--resume of a state dict',
    () => ['--resume', file('statedict.safetensors')],
    /a state dict, not a full checkpoint/,
    2,
  ],
  [
    '--resume of a missing file',
    () => ['--resume', file('missing.safetensors')],
    /--resume: cannot read .*ENOENT/,
    2,
  ],
  // Lost work: outputs over the checkpoint, and outputs that cannot be written, before any step.
  [
    '--resume X --save X',
    () => [...DATA, '--resume', file('run.safetensors'), '--epochs', '2', '--save', file('run.safetensors')],
    /--resume and --save name the same file/,
    2,
  ],
  [
    '--checkpoint X --save X',
    () => [...QUICK, '--checkpoint', file('x.safetensors'), '--save', file('x.safetensors')],
    /--save and --checkpoint name the same file|--checkpoint and --save/,
    2,
  ],
  [
    '--save into a missing directory',
    () => [...QUICK, '--save', file('nowhere/model.safetensors')],
    /--save: cannot write .*nowhere\/model\.safetensors \(the directory .* does not exist\)/,
    2,
  ],
  [
    '--checkpoint onto a directory',
    () => [...QUICK, '--checkpoint', data],
    /--checkpoint: cannot write .* \(it is a directory\)/,
    2,
  ],
  [
    '--logdir under a file',
    () => [...QUICK, '--logdir', file('a-file/tb')],
    /--logdir: cannot write .* is a file, not a directory/,
    2,
  ],
  [
    '--export-pytorch under a file',
    () => [...QUICK, '--export-pytorch', file('a-file/out')],
    /--export-pytorch: cannot write .* is a file, not a directory/,
    2,
  ],
  [
    '--export-pytorch over an existing train.py',
    () => [...QUICK, '--export-pytorch', file('exported')],
    /^error: --export-pytorch .*exported: .*exported\/train\.py already exists and would be replaced; move it or give another DIR$/,
    2,
  ],
  [
    '--init of a missing file',
    () => [...QUICK, '--init', file('missing.safetensors')],
    /--init: cannot read/,
    2,
  ],
  [
    '--init of another model',
    () => [...QUICK, '--model', 'lenet', '--init', file('run.safetensors')],
    /--init .*: .*(missing|unexpected|size mismatch)/i,
    2,
  ],
  // The families around them: each flag's range.
  [
    'zero epochs',
    () => [...QUICK, '--epochs', '0'],
    /--epochs: epochs must be a whole number >= 1, got 0/,
    2,
  ],
  ['a word for a number', () => [...QUICK, '--epochs', 'two'], /--epochs expects a number, got "two"/, 2],
  [
    'a fractional batch size',
    () => [...QUICK, '--batch-size', '1.5'],
    /--batch-size: batch size must be a whole number >= 1, got 1.5/,
    2,
  ],
  [
    'an unknown optimizer',
    () => [...QUICK, '--optimizer', 'lbfgs'],
    /--optimizer must be one of adam, adamw, sgd, rmsprop, got "lbfgs"/,
    2,
  ],
  ['an unknown scheduler', () => [...QUICK, '--scheduler', 'warmup'], /--scheduler must be one of/, 2],
  [
    'a scheduler flag for another scheduler',
    () => [...QUICK, '--gamma', '0.5'],
    /--gamma does not apply to --scheduler none/,
    2,
  ],
  [
    'milestones out of order',
    () => [...QUICK, '--scheduler', 'multistep', '--milestones', '3,2'],
    /--milestones: multistep milestones must be increasing/,
    2,
  ],
  [
    'a plateau factor of 1',
    () => [...QUICK, '--scheduler', 'plateau', '--factor', '1'],
    /--factor: plateau's factor must be a number in \(0, 1\)/,
    2,
  ],
  [
    'betas out of range',
    () => [...QUICK, '--betas', '0.9,1.5'],
    /--betas: betas must be two numbers in \[0, 1\)/,
    2,
  ],
  [
    'label smoothing over 1',
    () => [...QUICK, '--label-smoothing', '2'],
    /--label-smoothing: label smoothing must lie in \[0, 1\]/,
    2,
  ],
  [
    'a zero gradient clip',
    () => [...QUICK, '--clip-norm', '0'],
    /--clip-norm: the gradient norm clip must be a finite number > 0/,
    2,
  ],
  [
    'a zero limit',
    () => [...QUICK, '--limit', '0'],
    /--limit: the training-sample limit must be a whole number >= 1/,
    2,
  ],
  [
    'a zero logging interval',
    () => [...QUICK, '--log-every', '0'],
    /--log-every: log every must be a whole number >= 1/,
    2,
  ],
  [
    'a negative momentum',
    () => [...QUICK, '--optimizer', 'sgd', '--momentum', '-1'],
    /--momentum: momentum must be a finite number >= 0, got -1/,
    2,
  ],
  [
    'a zero checkpoint interval',
    () => [...QUICK, '--checkpoint-every', '0', '--checkpoint', file('y.safetensors')],
    /--checkpoint-every must be a whole number >= 1/,
    2,
  ],
  [
    'histograms without a log directory',
    () => [...QUICK, '--histograms-every', '50'],
    /--histograms-every writes to the TensorBoard event file: give --logdir DIR too/,
    2,
  ],
  [
    'a zero histogram interval',
    () => [...QUICK, '--histograms-every', '0', '--logdir', file('tb')],
    /--histograms-every must be a whole number >= 1, got "0"/,
    2,
  ],
  [
    'an unknown dataset',
    () => ['--backend', 'cpu', '--dataset', 'cifar'],
    /--dataset must be one of mnist, synthetic, idx, csv, text, got "cifar"/,
    2,
  ],
  [
    'an unknown backend',
    () => [...QUICK, '--backend', 'cuda'],
    /--backend must be one of auto, webgpu, wasm, cpu, got "cuda"/,
    2,
  ],
  [
    'threads for a backend without them',
    () => [...QUICK, '--threads', '2'],
    /--threads needs --backend wasm/,
    2,
  ],
  [
    'no threads',
    () => ['--backend', 'wasm', ...QUICK.slice(2), '--threads', '0'],
    /--threads must be a whole number >= 1/,
    2,
  ],
  [
    'a folder without IDX files',
    () => ['--backend', 'cpu', '--dataset', 'idx', '--data-dir', dir],
    /has no train-images-idx3-ubyte/,
    2,
  ],
  [
    'a layer list with a bad argument',
    () => [...QUICK, '--model', 'flatten,linear:x'],
    /--model: layer 1 "linear:x": arguments must be numbers/,
    2,
  ],
  [
    'a convolution on flat input',
    () => [...QUICK, '--model', 'flatten,conv:8:3'],
    /--model: layer 1 "conv:8:3": expects a \[C, H, W\] input/,
    2,
  ],
  [
    '--dropout on a model without Dropout',
    () => [...QUICK, '--dropout', '0.5'],
    /--dropout: model SimpleNN has no Dropout layer/,
    2,
  ],
  // An empty path would silently mean "none": the run would train and write nothing.
  ...(
    [
      ['save', 'file'],
      ['checkpoint', 'file'],
      ['resume', 'file'],
      ['init', 'file'],
      ['logdir', 'directory'],
      ['export-pytorch', 'directory'],
      ['data-dir', 'directory'],
      ['csv', 'file'],
      ['train-images', 'file'],
    ] as const
  ).map(([flag, what]): [string, () => string[], RegExp, number] => [
    `an empty --${flag}`,
    () => [...QUICK, `--${flag}`, ''],
    new RegExp(`^error: --${flag} expects a ${what} path, got ""$`),
    2,
  ]),
  ['an empty --save=', () => [...QUICK, '--save='], /--save expects a file path, got ""/, 2],
  // Text: bad files, a block size longer than the text, a GPT's heads that do not divide its width.
  ['an empty text file', () => TEXT('empty.txt'), /empty\.txt: is empty: there is no text to train on$/, 1],
  [
    'a binary file as text',
    () => TEXT('binary.txt'),
    /binary\.txt: is a binary file, not text \(a NUL byte at offset 2\)$/,
    1,
  ],
  ['a text not in UTF-8', () => TEXT('latin1.txt'), /latin1\.txt: is not UTF-8 text/, 1],
  ['a text of one character', () => TEXT('one.txt'), /one\.txt: holds one character only \("a"\)/, 1],
  [
    'a block size longer than the validation text',
    () => [...TEXT('short.txt'), '--block-size', '5'],
    /^error: --block-size: the block size \(5\) is longer than the validation text of short \(5 characters, the last 10%\)/,
    2,
  ],
  [
    'a block size longer than the text',
    () => [...TEXT('short.txt'), '--block-size', '64'],
    /--block-size: the block size \(64\) is longer than the training text of short \(45 characters/,
    2,
  ],
  [
    "a GPT's n_embd not divisible by n_head",
    () => [...TEXT('short.txt'), '--model', 'gpt', '--n-embd', '30', '--n-head', '4'],
    /^error: --n-embd 30 is not divisible by --n-head 4: each head takes n_embd \/ n_head of the width$/,
    2,
  ],
  [
    '--n-layer on images',
    () => [...QUICK, '--n-layer', '2'],
    /--n-layer sizes a text model: it needs --dataset text/,
    2,
  ],
  [
    '--eval-only without weights',
    () => [...TEXT('short.txt'), '--eval-only'],
    /--eval-only evaluates loaded weights: give --init FILE or --resume FILE/,
    2,
  ],
  [
    '--text without --dataset text',
    () => [...QUICK, '--text', file('short.txt')],
    /--text needs --dataset text/,
    2,
  ],
  ['an unknown flag', () => ['--no-such-flag'], /Unknown option '--no-such-flag' \(see --help\)/, 2],
  ['a positional argument', () => ['simplenn'], /Unexpected argument 'simplenn'.* \(see --help\)/, 2],
];

describe('npm run train refuses bad input cleanly', () => {
  it.each(CASES)('%s', async (_, argv, pattern, code) => {
    const before = snapshot();
    const r = await runCli(...argv());
    const errors = r.stderr.filter((l) => l.startsWith('error: '));
    expect(errors, r.stderr.join('\n')).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
    expect(r.stderr.join('\n')).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(code);
    expect(snapshot()).toEqual(before);
  });
});
