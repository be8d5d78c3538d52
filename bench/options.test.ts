/**
 * `npm run bench`'s and `npm run bench:host`'s command lines: every bad flag value is refused by the
 * CLI's option parser in one line before any GPU work, and the defaults are the declared ones.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/options';
import { benchArgs, benchMnist, hostArgs } from './options';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('npm run bench refuses bad flags', () => {
  it.each([
    [['--samples', 'abc'], /^--samples must be a whole number >= 1, got "abc"$/],
    [['--samples', '-5'], /^--samples must be a whole number >= 1, got "-5"$/],
    [['--cnn-samples', '-1'], /^--cnn-samples must be a whole number >= 0, got "-1"$/],
    [['--epochs', '0'], /^--epochs must be a whole number >= 1, got "0"$/],
    [['--gpt-steps', '-1'], /^--gpt-steps must be a whole number >= 0, got "-1"$/],
    [['--epochs', '1.5'], /^--epochs must be a whole number >= 1, got "1.5"$/],
    [['--epochs', '1e400'], /^--epochs must be a whole number >= 1/],
    [['--matmul', '0x0x0'], /^--matmul expects shapes MxKxN or N of whole numbers >= 1, got "0x0x0"$/],
    [['--matmul', '64x784'], /^--matmul expects shapes/],
    [['--matmul', '256,,1024'], /^--matmul expects shapes/],
    [['--data-dir', ''], /^--data-dir expects a directory path, got ""$/],
    [['--no-such-flag'], /^Unknown option '--no-such-flag'.* \(see --help\)$/],
    [['6400'], /^Unexpected argument '6400'.* \(see --help\)$/],
  ])('%j', (argv, pattern) => {
    expect(refusal(() => benchArgs(argv))).toMatch(pattern);
  });

  it('takes the declared defaults and square sizes', () => {
    const v = benchArgs([]);
    expect(v).toMatchObject({ samples: 6400, 'cnn-samples': 640, epochs: 2 });
    expect(v.matmul).toEqual([
      [64, 784, 128],
      [64, 128, 10],
      [256, 256, 256],
      [1024, 1024, 1024],
    ]);
    expect(benchArgs(['--matmul', '', '--cnn-samples', '0']).matmul).toEqual([]);
  });

  it('refuses a data folder without MNIST by the flag', async () => {
    const missing = join(import.meta.dirname, 'no-such-folder');
    const refused = await benchMnist(missing).catch((e) => e);
    expect(refused).toBeInstanceOf(UsageError);
    expect(refused.message).toBe(
      `--data-dir: ${missing}: has no train-images-idx3-ubyte (looked for train-images-idx3-ubyte, train-images-idx3-ubyte.gz, train-images.idx3-ubyte, train-images.idx3-ubyte.gz)`,
    );
  });

  it('bench:host refuses the same way', () => {
    expect(refusal(() => hostArgs(['--epochs', 'x']))).toMatch(/^--epochs must be a whole number >= 1/);
  });

  it('exits 2 with one error line and no stack trace, before touching a GPU', () => {
    const r = spawnSync('node', ['scripts/run-node.mjs', 'bench/run.ts', '--epochs', '1.5'], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr.trim()).toBe('error: --epochs must be a whole number >= 1, got "1.5"');
    expect(r.status).toBe(2);
  });
});
