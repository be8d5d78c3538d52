/**
 * A user's own dataset in the worker: a tabular CSV is read as a table, cached, trained on by an MLP,
 * refused to a CNN, and chosen again from this browser's cache without its files.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DatasetCache } from '../data/cache';
import { irisLikeCsv, mnistHead } from '../data/testing';
import { PRESETS, parseSpec } from '../nn/spec';
import { DEFAULT_CONFIG } from '../train/config';
import { loadDatasetSource } from './datasets';
import type { FromWorker, MessageOf } from './protocol';
import { Session } from './session';

const csv = (name: string, text: string) => ({ name, bytes: new TextEncoder().encode(text) });

/** A session on the cpu backend and what it posts. */
async function session() {
  const posts: FromWorker[] = [];
  const s = new Session((m) => void posts.push(m));
  await s.handle({ type: 'init', backend: 'cpu' });
  const last = <T extends FromWorker['type']>(type: T) =>
    posts.filter((m): m is MessageOf<FromWorker, T> => m.type === type).at(-1);
  return { s, posts, last };
}

describe('loadDatasetSource', () => {
  it('reads a CSV of float features as a table, with its first rows for the page, and caches it', async () => {
    const text = irisLikeCsv(30);
    const { ready } = await loadDatasetSource(
      { kind: 'files', name: 'iris', files: [csv('iris.csv', text)] },
      () => {},
    );
    expect(ready).toMatchObject({ name: 'iris', trainSize: 30, testSize: 0, inputShape: [4], numClasses: 3 });
    expect(ready.samples).toEqual([]);
    expect(ready.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    // The file's second data row (line 3), as written: the page shows the data before standardising.
    const cells = text.split('\n')[2].split(',').map(Number);
    expect(ready.rows?.[1]).toEqual({ features: cells.slice(0, 4).map(Math.fround), label: cells[4] });
    const cache = await DatasetCache.open();
    expect((await cache.list()).find((d) => d.key === 'user/iris-train')?.source).toBe('iris.csv');
    cache.close();

    const again = await loadDatasetSource({ kind: 'cached', name: 'iris' }, () => {});
    expect(again.ready).toEqual({ ...ready, fromCache: true });
  });

  it("names the classes of a table whose labels are names, for the page's matrix and records", async () => {
    const text = 'petal_length,petal_width,species\n1.4,0.2,setosa\n4.7,1.4,versicolor\n1.3,0.2,setosa\n';
    const source = { kind: 'files' as const, name: 'iris-names', files: [csv('iris.csv', text)] };
    const { ready } = await loadDatasetSource(source, () => {});
    expect(ready).toMatchObject({ numClasses: 2, classes: ['setosa', 'versicolor'] });
    expect(ready.rows?.map((r) => r.label)).toEqual([0, 1, 0]);
    const again = await loadDatasetSource({ kind: 'cached', name: 'iris-names' }, () => {});
    expect(again.ready.classes).toEqual(['setosa', 'versicolor']);
  });

  it('reads MNIST as CSV (a label and 784 pixels) as images', async () => {
    const images = mnistHead('t10k-images-idx3-ubyte', 3).subarray(16);
    const labels = mnistHead('t10k-labels-idx1-ubyte', 3).subarray(8);
    const lines = [0, 1, 2].map((r) => [labels[r], ...images.subarray(r * 784, (r + 1) * 784)].join(','));
    const { ready } = await loadDatasetSource(
      { kind: 'files', name: 'digits', files: [csv('digits.csv', lines.join('\n'))] },
      () => {},
    );
    expect(ready.inputShape).toEqual([1, 28, 28]);
    expect(ready.samples.map((x) => x.label)).toEqual([7, 2, 1]);
  });

  it('says plainly when a chosen dataset is no longer cached', async () => {
    await expect(loadDatasetSource({ kind: 'cached', name: 'gone' }, () => {})).rejects.toThrow(
      'gone: is no longer cached in this browser: add its files again',
    );
  });

  it('forgets a test set of earlier files under the same name when the new files have none', async () => {
    const idx = (name: string) => ({ name, bytes: mnistHead(name, 20) });
    const pair = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'].map(idx);
    const test = ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map(idx);
    await loadDatasetSource({ kind: 'files', name: 'set', files: [...pair, ...test] }, () => {});
    expect((await loadDatasetSource({ kind: 'cached', name: 'set' }, () => {})).ready.testSize).toBe(20);
    await loadDatasetSource({ kind: 'files', name: 'set', files: pair }, () => {});
    expect((await loadDatasetSource({ kind: 'cached', name: 'set' }, () => {})).ready.testSize).toBe(0);
  });
});

describe('a session on a table', () => {
  it('trains an MLP well above chance, from the files and from the cache, and refuses a CNN before any work', async () => {
    const { s, posts, last } = await session();
    await s.handle({
      type: 'loadDataset',
      source: { kind: 'files', name: 'iris', files: [csv('iris.csv', irisLikeCsv(300))] },
    });
    expect(last('datasetReady')?.inputShape).toEqual([4]);
    const model = parseSpec('linear:16,relu,linear:3', [4]);
    const config = { ...DEFAULT_CONFIG, epochs: 3, batchSize: 16, lr: 0.05, valSplit: 60, logEvery: 5 };
    await s.handle({ type: 'train', runId: 'a', model, config });
    const epoch = last('epochEnd');
    expect(epoch?.valAcc).toBeGreaterThan(0.9);
    expect(epoch?.misclassified).toEqual([]);
    expect(epoch?.confusion.flat().reduce((a, b) => a + b, 0)).toBe(60);

    await s.handle({ type: 'loadDataset', source: { kind: 'cached', name: 'iris' } });
    expect(last('datasetReady')).toMatchObject({ name: 'iris', fromCache: true, inputShape: [4] });
    await s.handle({ type: 'train', runId: 'b', model, config: { ...config, epochs: 1 } });
    expect(last('status')).toMatchObject({ runId: 'b', state: 'finished' });

    const steps = posts.filter((m) => m.type === 'metrics').length;
    await s.handle({ type: 'train', runId: 'c', model: PRESETS.lenet, config });
    expect(last('error')).toMatchObject({
      runId: 'c',
      message: expect.stringContaining("the dataset's samples are [4]"),
    });
    expect(posts.filter((m) => m.type === 'metrics').length).toBe(steps);
    s.dispose();
  });
});
