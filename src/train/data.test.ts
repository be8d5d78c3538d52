import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset';
import { imageDatasetFromIdx, parseIdx } from '../data/idx';
import { trainValidationSplit } from '../data/split';
import { MNIST_DATA_DIR } from '../data/testing';
import type { ImageDataset, TabularDataset } from '../data/types';
import { parseSpec } from '../nn/spec';
import { CpuBackend } from '../tensor/cpu';
import { parseCheckpoint } from './checkpoint';
import { ConfigError, DEFAULT_CONFIG, MNIST_NORMALIZATION, type TrainConfig } from './config';
import { featureStats, pixelStats, prepareData } from './data';
import { Run } from './run';

const backend = new CpuBackend();

/** A table of `count` rows of two features (row r: r and 10 r), labels r mod 3. */
function table(count: number, name = 'table-train'): TabularDataset {
  return {
    kind: 'tabular',
    name,
    features: Float32Array.from({ length: count * 2 }, (_, i) => (i % 2 ? 10 : 1) * Math.floor(i / 2)),
    labels: Int32Array.from({ length: count }, (_, r) => r % 3),
    count,
    numFeatures: 2,
    numClasses: 3,
  };
}

const config = (patch: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...patch });
const rows = (d: Dataset<unknown>) =>
  Array.from({ length: d.length }, (_, i) => Array.from((d as Dataset).getItem(i)[0]));

describe('prepareData on a table', () => {
  it('standardises every feature with the mean and std of the training split alone', () => {
    const train = table(20);
    const c = config({ valSplit: 5, seed: 3 });
    const data = prepareData(backend, { name: 'table', train }, c);
    expect(data.inputShape).toEqual([2]);
    expect([data.train.length, data.val.length, data.numClasses]).toEqual([15, 5, 3]);
    const split = trainValidationSplit(20, 5, 3);
    const { mean, std } = featureStats(train, split.train);
    // The training rows come out with mean 0 and std 1 per feature; the validation rows are not
    // part of those figures, only scaled by them.
    const t = rows(data.train);
    for (const j of [0, 1]) {
      const col = t.map((r) => r[j]);
      const m = col.reduce((a, b) => a + b, 0) / col.length;
      expect(m).toBeCloseTo(0, 5);
      expect(Math.sqrt(col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length)).toBeCloseTo(1, 5);
    }
    const v = split.validation[0];
    expect(rows(data.val)[0][1]).toBeCloseTo((train.features[v * 2 + 1] - mean[1]) / std[1], 5);
    expect(data.valPixels(0)).toBeNull();
    data.dispose();
  });

  it('fits the figures on the limited training samples and scales the test set with them', () => {
    const train = table(12);
    const test = table(4, 'table-test');
    test.features.set([100, 1000]);
    const data = prepareData(backend, { name: 'table', train, test }, config({ valSplit: 0, limit: 4 }));
    // Rows 0..3: features 0..3 (mean 1.5, std sqrt(1.25)) and 0..30.
    const std = Math.sqrt(1.25);
    expect(rows(data.train)[3]).toEqual([(3 - 1.5) / std, (30 - 15) / (10 * std)].map(Math.fround));
    expect(rows(data.val)[0][0]).toBeCloseTo((100 - 1.5) / std, 4);
    data.dispose();
  });

  it('gives a constant feature std 1, so it scales to 0 instead of NaN', () => {
    const t = table(4);
    for (let r = 0; r < 4; r++) t.features[r * 2] = 7;
    expect(Array.from(featureStats(t, null).std)).toEqual([1, Math.sqrt(125)]);
  });

  it('fingerprints the training rows: a change there changes it, one in the validation rows does not', () => {
    const c = config({ valSplit: 5, seed: 1 });
    const fp = (t: TabularDataset) => {
      const data = prepareData(backend, { name: 'table', train: t }, c);
      data.dispose();
      return data.fingerprint;
    };
    const base = fp(table(20));
    const { train, validation } = trainValidationSplit(20, 5, 1);
    const inVal = table(20);
    inVal.features[validation[0] * 2] += 1;
    const inTrain = table(20);
    inTrain.features[train[0] * 2] += 1;
    const label = table(20);
    label.labels[train[0]] = (label.labels[train[0]] + 1) % 3;
    expect(fp(inVal)).toBe(base);
    expect(fp(inTrain)).not.toBe(base);
    expect(fp(label)).not.toBe(base);
  });

  it('refuses a test set whose samples are another shape than the training set', () => {
    const images: ImageDataset = {
      kind: 'image',
      name: 'img',
      images: new Uint8Array(4),
      labels: new Uint8Array(1),
      count: 1,
      rows: 2,
      cols: 2,
      channels: 1,
      numClasses: 3,
    };
    expect(() =>
      prepareData(backend, { name: 'table', train: table(4), test: images }, config({ valSplit: 0 })),
    ).toThrow("the test set's samples are [1,2,2], the training set's [2]");
  });
});

/** `count` 2x2 images, image i all of shade i (so the training split's figures are known by hand). */
function shades(count: number): ImageDataset {
  return {
    kind: 'image',
    name: 'shades',
    images: Uint8Array.from({ length: count * 4 }, (_, i) => Math.floor(i / 4)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
    count,
    rows: 2,
    cols: 2,
    channels: 1,
    numClasses: 2,
  };
}

describe('image normalisation', () => {
  it("computes MNIST's own figures, on its 60,000 training images, as the familiar 0.1307 and 0.3081", () => {
    const read = (f: string) => parseIdx(new Uint8Array(readFileSync(join(MNIST_DATA_DIR, f))), f);
    const mnist = imageDatasetFromIdx(read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), {
      name: 'mnist-train',
    });
    const { mean, std } = pixelStats(mnist, null);
    expect([mean.toFixed(4), std.toFixed(4)]).toEqual(['0.1307', '0.3081']);
  });

  it('computes mean and std on the training split alone unless the config gives them', () => {
    const train = shades(10);
    const c = config({ valSplit: 4, seed: 5, mean: null, std: null });
    const data = prepareData(backend, { name: 'shades', train }, c);
    const kept = trainValidationSplit(10, 4, 5).train;
    const values = Array.from(kept, (i) => i / 255);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    expect(data.normalization?.mean).toBeCloseTo(mean, 12);
    expect(data.normalization?.std).toBeCloseTo(std, 12);
    // One given, the other computed; images of one shade get std 1 rather than a division by 0.
    const given = prepareData(backend, { name: 'shades', train }, { ...c, mean: 0.5 });
    expect(given.normalization).toEqual({ mean: 0.5, std: data.normalization?.std });
    expect(pixelStats(shades(1), null)).toEqual({ mean: 0, std: 1 });
    expect(
      prepareData(backend, { name: 't', train: table(20) }, config({ valSplit: 5 })).normalization,
    ).toBeNull();
  });

  it("keeps a fresh run's figures in its config and checkpoint; an old checkpoint's MNIST constants stay as given", async () => {
    const train = shades(12);
    const spec = parseSpec('flatten,linear:2', [1, 2, 2]);
    const c = config({ valSplit: 4, epochs: 1, batchSize: 4, mean: null, std: null });
    const data = prepareData(backend, { name: 'shades', train }, c);
    const run = Run.create(spec, c, data);
    expect({ mean: run.config.mean, std: run.config.std }).toEqual(data.normalization);
    const saved = parseCheckpoint(await run.checkpoint());
    expect(saved.meta.config).toMatchObject({ mean: data.normalization?.mean, std: data.normalization?.std });
    run.dispose();
    // A checkpoint written before the figures were computed holds MNIST's: they are used as they are.
    const old = config({ ...MNIST_NORMALIZATION, valSplit: 4 });
    expect(prepareData(backend, { name: 'shades', train }, old).normalization).toEqual(MNIST_NORMALIZATION);
  });

  it('refuses a mean or std for a new run on a table: each feature is standardised with its own', () => {
    const data = prepareData(backend, { name: 't', train: table(20) }, config({ valSplit: 5 }));
    expect(() => Run.create(parseSpec('linear:3', [2]), config({ valSplit: 5, std: 2 }), data)).toThrow(
      ConfigError,
    );
    expect(() => Run.create(parseSpec('linear:3', [2]), config({ valSplit: 5, std: 2 }), data)).toThrow(
      "the normalisation mean and std apply to images: a table's features are each standardised with their own mean and std over the training split",
    );
    data.dispose();
  });
});
