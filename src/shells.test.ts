/**
 * The two shells around train/run.ts, the CLI and the page's worker, train alike: the same
 * settings on the same data, through each one's own code (argument parsing and file loading in
 * the CLI; messages, the dataset upload and the run table in the worker), give bit-identical
 * losses and weights. Both on the cpu backend, in one process.
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { trainCli } from './cli/train';
import { mnistHead } from './data/testing';
import { parseSpec } from './nn/spec';
import { parseCheckpoint } from './train/checkpoint';
import { DEFAULT_CONFIG, type TrainConfig } from './train/config';
import type { FromWorker } from './worker/protocol';
import { Session } from './worker/session';

const MODEL = 'flatten,linear:32,relu,dropout:0.2,linear:10';

it('the CLI and the worker train the same settings to bit-identical losses and weights', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-shells-'));
  const files = [
    { name: 'train-images-idx3-ubyte', bytes: mnistHead('train-images-idx3-ubyte', 600) },
    { name: 'train-labels-idx1-ubyte', bytes: mnistHead('train-labels-idx1-ubyte', 600) },
  ];
  for (const f of files) writeFileSync(join(dir, f.name), f.bytes);

  const cli = await trainCli(
    [
      ...['--backend', 'cpu', '--dataset', 'idx', '--data-dir', dir, '--model', MODEL],
      ...['--optimizer', 'sgd', '--lr', '0.05', '--momentum', '0.9', '--nesterov'],
      ...['--scheduler', 'step', '--gamma', '0.5', '--val-split', '100', '--epochs', '2'],
      ...['--batch-size', '32', '--log-every', '5', '--json'],
    ],
    { stdout: () => {}, stderr: () => {}, tty: false, stopRequested: () => false },
  );

  const config: TrainConfig = {
    ...DEFAULT_CONFIG,
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    nesterov: true,
    scheduler: { name: 'step', stepSize: 1, gamma: 0.5 },
    valSplit: 100,
    epochs: 2,
    batchSize: 32,
    logEvery: 5,
  };
  // The run's config holds the normalisation computed on its training split; the worker's the same.
  const computed = cli.run?.config;
  expect(computed).toEqual({ ...config, mean: expect.any(Number), std: expect.any(Number) });
  const posts: FromWorker[] = [];
  const session = new Session((m) => posts.push(m));
  await session.handle({ type: 'init', backend: 'cpu' });
  await session.handle({ type: 'loadDataset', source: { kind: 'files', name: 'mnist-600', files } });
  await session.handle({ type: 'train', runId: 'r', model: parseSpec(MODEL, [1, 28, 28]), config });
  expect(posts.filter((m) => m.type === 'error')).toEqual([]);
  expect(posts.find((m) => m.type === 'status' && m.config)).toMatchObject({ config: computed });

  const points = (xs: { tag: string; step: number; value: number }[]) =>
    xs.map((p) => [p.tag, p.step, p.value]);
  // The page's worker also counts histograms (and logs gradient health): the CLI's tags must match
  // exactly, and the weights below show the probes change nothing of the training.
  const cliTags = new Set(cli.run?.history.map((s) => s.tag));
  const workerScalars = posts.flatMap((m) => (m.type === 'metrics' ? m.scalars : []));
  const shared = workerScalars.filter((s) => cliTags.has(s.tag));
  expect(shared.length).toBeGreaterThan(8);
  expect(points(shared)).toEqual(points(cli.run?.history ?? []));

  const last = posts.filter((m) => m.type === 'checkpoint').at(-1);
  if (last?.type !== 'checkpoint') throw new Error('the worker saved no checkpoint');
  const workerWeights = parseCheckpoint(last.bytes).model;
  const cliWeights = await cli.run!.model.stateDictData();
  expect([...workerWeights.keys()]).toEqual([...cliWeights.keys()]);
  for (const [k, t] of cliWeights)
    expect(Array.from(workerWeights.get(k)!.data), k).toEqual(Array.from(t.data));
  cli.run?.dispose();
  session.dispose();
});
