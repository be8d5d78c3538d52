/**
 * A real dataset in MNIST's format that Kiln does not ship (Debian's Fashion-MNIST, gzipped IDX),
 * trained from the CLI with --dataset idx; a table of features with --dataset csv; and a directory
 * without the files, or a file flag of another kind, gives one clear line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { irisLikeCsv } from '../data/testing';
import { ROOT, spawnTrain } from './testing';

const FASHION = '/usr/share/datasets/fashion-mnist';

describe('--dataset idx', () => {
  it('trains on Fashion-MNIST from its IDX files', () => {
    const r = spawnTrain(
      '--dataset',
      'idx',
      '--data-dir',
      FASHION,
      '--limit',
      '3000',
      '--epochs',
      '1',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    // Ten clothing classes: chance is 10%; a short epoch of SimpleNN gets well past 60%.
    expect(line.val_acc).toBeGreaterThan(0.6);
  });

  it('names the missing file when the folder lacks the IDX files', () => {
    const r = spawnTrain('--dataset', 'idx', '--data-dir', ROOT, '--epochs', '1');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^error: .*train-images-idx3-ubyte/);
  });
});

describe('--dataset csv', () => {
  it('trains an MLP on a table of features, standardised on the training split', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-csv-'));
    const file = join(dir, 'iris-like.csv');
    writeFileSync(file, irisLikeCsv(300));
    const r = spawnTrain(
      ...['--dataset', 'csv', '--csv', file, '--model', 'linear:16,relu,linear:3'],
      ...['--val-split', '60', '--epochs', '10', '--batch-size', '16', '--lr', '0.01', '--json'],
    );
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    // Three classes: chance is a third.
    expect(line.val_acc).toBeGreaterThan(0.85);
  });

  it('refuses a file flag of another dataset kind rather than train on other data', () => {
    const r = spawnTrain('--csv', 'iris.csv', '--epochs', '1');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('error: --csv needs --dataset csv');
  });
});
