import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import { csvDataset, idxDatasets } from './sources';
import { makeIdx } from './testing';

const file = (name: string, bytes: Uint8Array) => ({ name, bytes });
const images = (n: number, side: number) => makeIdx([n, side, side], new Array(n * side * side).fill(3));

describe('idxDatasets', () => {
  it('builds train and test sets with the class count the training labels make', async () => {
    const { train, test } = await idxDatasets(
      {
        trainImages: file('a', images(2, 2)),
        trainLabels: file('b', makeIdx([2], [0, 4])),
        testImages: file('c', images(1, 2)),
        testLabels: file('d', makeIdx([1], [1])),
      },
      { name: 'set' },
    );
    expect(train.name).toBe('set-train');
    expect(test?.name).toBe('set-test');
    expect(train.numClasses).toBe(5);
    expect(test?.numClasses).toBe(5);
  });

  it('refuses a test label outside the training classes, naming both files and the count', async () => {
    const error = await idxDatasets(
      {
        trainImages: file('a', images(2, 2)),
        trainLabels: file('train-labels', makeIdx([2], [0, 9])),
        testImages: file('c', images(2, 2)),
        testLabels: file('test-labels', makeIdx([2], [3, 12])),
      },
      { name: 'set' },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toBe(
      "test-labels: label 12 at index 1 is not one of the training set's 10 classes (0..9, from train-labels)",
    );
  });

  it('refuses a test set of another image size, and half a test pair', async () => {
    const base = { trainImages: file('a', images(1, 2)), trainLabels: file('b', makeIdx([1], [0])) };
    const mismatch = await idxDatasets(
      { ...base, testImages: file('c', images(1, 3)), testLabels: file('d', makeIdx([1], [0])) },
      { name: 's' },
    ).catch((e) => e);
    expect(mismatch).toBeInstanceOf(DatasetError);
    expect(mismatch.message).toBe('c: has 3 x 3 images but a has 2 x 2');
    const half = await idxDatasets(
      { ...base, testLabels: file('d', makeIdx([1], [0])) },
      { name: 's' },
    ).catch((e) => e);
    expect(half.message).toMatch(/^d: is a test file without its partner/);
  });
});

describe('csvDataset', () => {
  it('reads gzipped CSV', async () => {
    const ds = await csvDataset(file('x.csv.gz', gzipSync('label,a\n1,2\n')), { name: 'x' });
    expect(ds.count).toBe(1);
  });

  it('refuses a binary file', async () => {
    const error = await csvDataset(file('x.csv', new Uint8Array([0xff, 0xfe, 0x00, 0x80])), {
      name: 'x',
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toMatch(/not valid UTF-8/);
  });
});
