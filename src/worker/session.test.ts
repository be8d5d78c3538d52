/**
 * The worker gives its memory back at the scope of a tab: a run the page deletes is freed, at once
 * or, while it trains, as soon as its loop stops; a run replaced under the same id is freed too.
 */
import 'fake-indexeddb/auto';
import { expect, it } from 'vitest';
import { mnistHead } from '../data/testing';
import { parseSpec } from '../nn/spec';
import { getDefaultBackend } from '../tensor/default';
import { DEFAULT_CONFIG } from '../train/config';
import type { FromWorker } from './protocol';
import { Session } from './session';

it('frees deleted and replaced runs, a training one once it has stopped', async () => {
  const posts: FromWorker[] = [];
  let onMetrics: (() => void) | null = null;
  const session = new Session((m) => {
    posts.push(m);
    if (m.type === 'metrics') onMetrics?.();
  });
  await session.handle({ type: 'init', backend: 'cpu' });
  const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'].map((name) => ({
    name,
    bytes: mnistHead(name, 300),
  }));
  await session.handle({ type: 'loadDataset', source: { kind: 'files', name: 'mnist-300', files } });
  const model = parseSpec('flatten,linear:16,relu,linear:10', [1, 28, 28]);
  const config = { ...DEFAULT_CONFIG, epochs: 1, valSplit: 50, logEvery: 2 };
  const memory = () => getDefaultBackend().memory().bytesInUse;

  // A finished run is held (to predict and export) until the page deletes it.
  await session.handle({ type: 'train', runId: 'a', model, config });
  const held = memory();
  await session.handle({ type: 'disposeRun', runId: 'a' });
  const base = memory();
  expect(base).toBeLessThan(held);

  // Trained again under the same id, then replaced by an import: the first is freed.
  await session.handle({ type: 'train', runId: 'b', model, config });
  const last = posts.filter((m) => m.type === 'checkpoint').at(-1);
  if (last?.type !== 'checkpoint') throw new Error('no checkpoint');
  await session.handle({ type: 'importCheckpoint', runId: 'b', bytes: last.bytes });
  expect(posts.at(-1)?.type).toBe('checkpointLoaded');
  await session.handle({ type: 'disposeRun', runId: 'b' });
  expect(memory()).toBe(base);

  // Deleted while it trains: it stops after the step in hand and is freed as its loop ends.
  onMetrics = () => {
    onMetrics = null;
    void session.handle({ type: 'disposeRun', runId: 'c' });
  };
  await session.handle({ type: 'train', runId: 'c', model, config: { ...config, epochs: 5 } });
  const states = posts
    .filter((m) => m.type === 'status' && m.runId === 'c')
    .map((m) => m.type === 'status' && m.state);
  expect(states.at(-1)).toBe('stopped');
  expect(memory()).toBe(base);
  expect(posts.filter((m) => m.type === 'error')).toEqual([]);
  session.dispose();
});
