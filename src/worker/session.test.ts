/**
 * The worker gives its memory back at the scope of a tab: a run the page deletes is freed, at once
 * or, while it trains, as soon as its loop stops; a run replaced under the same id is freed too.
 * Histograms reach the page in one compact message per probe. A text run takes its vocabulary from
 * its data and samples at each evaluation without changing its weights.
 */
import 'fake-indexeddb/auto';
import { expect, it, vi } from 'vitest';
import { mnistHead } from '../data/testing';
import { buildVocab, textData } from '../data/text';
import { parseSpec, TEXT_PRESETS } from '../nn/spec';
import { getDefaultBackend } from '../tensor/default';
import { parseCheckpoint } from '../train/checkpoint';
import { DEFAULT_CONFIG, DEFAULT_TEXT_CONFIG } from '../train/config';
import { prepareRunData } from '../train/data';
import { RECORD_SAMPLE_CHARS } from '../train/generate';
import { openRun } from '../train/run';
import { SAMPLE_DEFAULTS } from '../train/sample_options';
import { type FromWorker, transferables } from './protocol';
import { pageHistogramsEvery, Session } from './session';

/** A small MLP for MNIST's images. */
const MLP = parseSpec('flatten,linear:16,relu,linear:10', [1, 28, 28]);

/** Starts `session` on the cpu backend with MNIST's first 300 training images as its dataset. */
async function loadMnist300(session: Session): Promise<void> {
  await session.handle({ type: 'init', backend: 'cpu' });
  const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'].map((name) => ({
    name,
    bytes: mnistHead(name, 300),
  }));
  await session.handle({ type: 'loadDataset', source: { kind: 'files', name: 'mnist-300', files } });
}

it('starts on the wasm backend when asked (the page without WebGPU), on as many threads as cores, and says so', async () => {
  const posts: FromWorker[] = [];
  const session = new Session((m) => posts.push(m));
  // Node has threads (worker_threads) as a cross-origin isolated page does; the browser reports 3 cores.
  vi.stubGlobal('navigator', { hardwareConcurrency: 3 });
  try {
    await session.handle({ type: 'init', backend: 'wasm' });
  } finally {
    vi.unstubAllGlobals();
  }
  expect(posts).toEqual([{ type: 'ready', backend: 'wasm', adapter: null, threads: 3 }]);
  expect(getDefaultBackend().name).toBe('wasm');
});

it('frees deleted and replaced runs, a training one once it has stopped', async () => {
  const posts: FromWorker[] = [];
  let onMetrics: (() => void) | null = null;
  const session = new Session((m) => {
    posts.push(m);
    if (m.type === 'metrics') onMetrics?.();
  });
  await loadMnist300(session);
  const model = MLP;
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

it('pauses and stops after the step in hand, saying what the run is doing meanwhile', async () => {
  const posts: FromWorker[] = [];
  /** Called with each status as it is posted, from inside the training loop. */
  let onStatus: (m: Extract<FromWorker, { type: 'status' }>) => void = () => {};
  const session = new Session((m) => {
    posts.push(m);
    if (m.type === 'status') onStatus(m);
  });
  await loadMnist300(session);
  const model = MLP;
  // Logging every 10 steps: a pause that waited for a logging point would act at step 10.
  const config = { ...DEFAULT_CONFIG, epochs: 2, batchSize: 25, valSplit: 50, logEvery: 10 };
  const statuses = (runId: string) =>
    posts.flatMap((m) => (m.type === 'status' && m.runId === runId ? [m] : []));

  // Paused as its first step is taken: it waits right after that step, then resumes to the end.
  onStatus = (m) => {
    if (m.phase === 'training') {
      onStatus = (p) => {
        if (p.state === 'paused') setTimeout(() => void session.handle({ type: 'resume', runId: 'p' }), 0);
      };
      void session.handle({ type: 'pause', runId: 'p' });
    }
  };
  await session.handle({ type: 'train', runId: 'p', model, config });
  const p = statuses('p');
  expect(p.find((m) => m.state === 'paused')?.step).toBe(1);
  expect(p.map((m) => m.phase).filter((x, i, all) => x !== all[i - 1])).toEqual([
    'compiling',
    'training',
    null,
    'training',
    'validating',
    'checkpointing',
    'training',
    'validating',
    'checkpointing',
    null,
  ]);
  expect(p.at(-1)).toMatchObject({ state: 'finished', step: 20, epoch: 2 });
  expect(p.at(-1)?.valSeconds).toBeGreaterThan(0);

  // Stopped at its first step: it stops after that step, with a checkpoint of it.
  onStatus = (m) => {
    if (m.phase === 'training') {
      onStatus = () => {};
      void session.handle({ type: 'stop', runId: 's' });
    }
  };
  await session.handle({ type: 'train', runId: 's', model, config });
  expect(statuses('s').at(-1)).toMatchObject({ state: 'stopped', step: 1 });
  expect(
    posts
      .filter((m) => m.type === 'checkpoint' && m.runId === 's')
      .map((m) => m.type === 'checkpoint' && m.step),
  ).toEqual([1]);
  expect(posts.filter((m) => m.type === 'error')).toEqual([]);
  session.dispose();
});

it('measures samples/s over training time alone: not compiling, validating, checkpointing or paused', async () => {
  // A clock that jumps an hour whenever the run compiles, validates, saves or pauses: counted, the
  // hour sinks the speed (and so lengthens the time left) a thousandfold.
  const real = performance.now.bind(performance);
  let offset = 0;
  const clock = vi.spyOn(performance, 'now').mockImplementation(() => real() + offset);
  const HOUR = 3_600_000;
  const posts: FromWorker[] = [];
  let paused = false;
  const session = new Session((m) => {
    posts.push(m);
    if (m.type !== 'status' || m.runId !== 'r') return;
    if (m.phase === 'compiling' || m.phase === 'validating' || m.phase === 'checkpointing') offset += HOUR;
    if (m.state === 'paused') {
      offset += HOUR;
      setTimeout(() => void session.handle({ type: 'resume', runId: 'r' }), 0);
    }
  });
  try {
    await loadMnist300(session);
    // 250 samples in batches of 25: 10 steps an epoch, the loss read every 2; paused at step 4.
    const config = { ...DEFAULT_CONFIG, epochs: 2, batchSize: 25, valSplit: 50, logEvery: 2 };
    const train = session.handle({ type: 'train', runId: 'r', model: MLP, config });
    const pauseAt = setInterval(() => {
      const at = posts.findLast((m) => m.type === 'status' && m.runId === 'r');
      if (!paused && at?.type === 'status' && at.step >= 4) {
        paused = true;
        void session.handle({ type: 'pause', runId: 'r' });
      }
    }, 0);
    await train;
    clearInterval(pauseAt);
    const statuses = posts.flatMap((m) => (m.type === 'status' && m.runId === 'r' ? [m] : []));
    expect(statuses.some((m) => m.state === 'paused')).toBe(true);
    expect(statuses.at(-1)?.state).toBe('finished');
    const rates = statuses.map((m) => m.samplesPerSec).filter((r) => r > 0);
    // Known from the first read, then at each: counting an hour gives under 0.014 samples/s, while
    // even a busy machine trains this MLP at thousands.
    expect(rates.length).toBeGreaterThan(4);
    expect(Math.min(...rates), `samples/s reported: ${rates.join(', ')}`).toBeGreaterThan(1);
  } finally {
    clock.mockRestore();
    session.dispose();
  }
});

it("posts a run's histograms compactly, with transferable counts, and its health scalars as metrics", async () => {
  const posts: FromWorker[] = [];
  const session = new Session((m) => void posts.push(m));
  await loadMnist300(session);
  const model = MLP;
  // 250 samples in batches of 64: 4 steps, so histograms only at the first (the baseline).
  const config = { ...DEFAULT_CONFIG, epochs: 1, valSplit: 50, logEvery: 2 };
  await session.handle({ type: 'train', runId: 'h', model, config });
  const [msg, ...more] = posts.filter((m) => m.type === 'histograms');
  expect(more).toEqual([]);
  if (msg?.type !== 'histograms') throw new Error('no histograms');
  expect([msg.runId, msg.step]).toEqual(['h', 1]);
  expect(msg.items.map((h) => h.tag)).toEqual(
    ['1.weight', '1.bias', '3.weight', '3.bias'].flatMap((n) => [n, `${n}.grad`]),
  );
  for (const h of msg.items) expect(h.counts).toBeInstanceOf(Uint32Array);
  expect(transferables(msg)).toEqual(msg.items.map((h) => h.counts.buffer));
  const health = posts.flatMap((m) => (m.type === 'metrics' ? m.scalars : [])).filter((s) => s.step === 1);
  expect(health.map((s) => s.tag)).toContain('dead_relu/2');
  expect(health.map((s) => s.tag)).toContain('update_ratio/1.weight');
  session.dispose();
});

it('counts histograms every 50 steps, more often in short epochs', () => {
  expect([4, 94, 300, 860].map(pageHistogramsEvery)).toEqual([10, 10, 30, 50]);
});

it('predicts with a trained run, and refuses an image of another size in one line', async () => {
  const posts: FromWorker[] = [];
  const session = new Session((m) => void posts.push(m));
  await loadMnist300(session);
  await session.handle({
    type: 'train',
    runId: 'p',
    model: MLP,
    config: { ...DEFAULT_CONFIG, epochs: 1, valSplit: 50 },
  });
  await session.handle({
    type: 'predict',
    requestId: 7,
    runId: 'p',
    pixels: new Float32Array(784).fill(0.5),
  });
  const prediction = posts.at(-1);
  if (prediction?.type !== 'prediction') throw new Error('no prediction');
  expect(prediction.requestId).toBe(7);
  expect(prediction.probabilities).toHaveLength(10);
  expect(prediction.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  await session.handle({ type: 'predict', requestId: 8, runId: 'p', pixels: new Float32Array(100) });
  expect(posts.at(-1)).toMatchObject({
    type: 'error',
    runId: 'p',
    message: 'the image has 100 values, the model takes inputs of shape [1,28,28]',
  });
  session.dispose();
});

it('refuses a malformed message in one line, and a second run while one trains', async () => {
  const posts: FromWorker[] = [];
  let onMetrics: (() => Promise<void>) | null = null;
  const session = new Session((m) => {
    posts.push(m);
    if (m.type === 'metrics' && onMetrics) {
      const then = onMetrics;
      onMetrics = null;
      void then();
    }
  });
  const errors = () => posts.filter((m) => m.type === 'error').map((m) => m.type === 'error' && m.message);
  for (const bad of [
    null,
    { type: 'trian', runId: 'x' },
    { type: 'stop' },
    { type: 'stop', runId: 'x', force: true },
    { type: 'predict', requestId: -1, runId: 'x', pixels: new Float32Array(1) },
    JSON.parse('{"type": "pause", "runId": "x", "__proto__": {}}'),
  ])
    await session.handle(bad);
  expect(errors()).toEqual([
    'message: must be an object, got null',
    'message.type: "trian" is not a worker command; did you mean train?',
    'message.runId: missing',
    'message.force: unknown field (the fields are type, runId)',
    'message.requestId: must be a non-negative integer, got -1',
    'message.__proto__: "__proto__" is not allowed as a key',
  ]);
  expect(posts.every((m) => m.type === 'error' && m.kind === 'bad-input')).toBe(true);

  posts.length = 0;
  await loadMnist300(session);
  const config = { ...DEFAULT_CONFIG, epochs: 1, valSplit: 50, logEvery: 2 };
  onMetrics = async () => {
    await session.handle({ type: 'train', runId: 'second', model: MLP, config });
    void session.handle({ type: 'stop', runId: 'first' });
  };
  await session.handle({ type: 'train', runId: 'first', model: MLP, config });
  expect(errors()).toEqual(['run first is training: stop it before starting another']);
  expect(posts.some((m) => m.type === 'status' && m.runId === 'second')).toBe(false);
  session.dispose();
});

it('keeps a checkpoint where the run stands when the page asks (it is going away), and trains on', async () => {
  const posts: FromWorker[] = [];
  let onMetrics: (() => void) | null = null;
  const session = new Session((m) => {
    posts.push(m);
    if (m.type === 'metrics') onMetrics?.();
  });
  await loadMnist300(session);
  // 250 training images in batches of 25: 10 steps an epoch; asked at the first loss read-back.
  const config = { ...DEFAULT_CONFIG, epochs: 1, valSplit: 50, batchSize: 25, logEvery: 2 };
  onMetrics = () => {
    onMetrics = null;
    void session.handle({ type: 'checkpointNow', runId: 'r' });
  };
  await session.handle({ type: 'train', runId: 'r', model: MLP, config });
  const saved = posts.flatMap((m) => (m.type === 'checkpoint' ? [[m.kind, m.epoch, m.step]] : []));
  expect(saved).toHaveLength(2);
  expect(saved[0]).toEqual(['auto', 0, expect.any(Number)]);
  expect(saved[0][2]).toBeGreaterThan(0);
  expect(saved[0][2]).toBeLessThan(10);
  expect(saved[1]).toEqual(['auto', 1, 10]);
  expect(posts.filter((m) => m.type === 'error')).toEqual([]);
  session.dispose();
});

it('refuses an uploaded state dict or checkpoint with NaN weights in one line naming the tensor', async () => {
  const posts: FromWorker[] = [];
  const session = new Session((m) => void posts.push(m));
  await loadMnist300(session);
  const config = { ...DEFAULT_CONFIG, epochs: 1, valSplit: 50, batchSize: 50 };
  await session.handle({ type: 'train', runId: 'r', model: MLP, config });
  const full = posts.findLast((m) => m.type === 'checkpoint');
  await session.handle({ type: 'exportCheckpoint', runId: 'r', kind: 'model' });
  const plain = posts.at(-1);
  if (full?.type !== 'checkpoint' || plain?.type !== 'checkpoint') throw new Error('no checkpoints');
  for (const [i, file] of [full.bytes, plain.bytes].entries()) {
    // fc weights come first in both files' data: poison one float of the first tensor's.
    const bytes = file.slice();
    const header = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    new DataView(bytes.buffer).setFloat32(8 + header, Number.NaN, true);
    await session.handle({ type: 'importCheckpoint', runId: `bad${i}`, bytes });
    const reply = posts.at(-1);
    expect(reply).toMatchObject({ type: 'error', runId: `bad${i}` });
    expect(reply?.type === 'error' && reply.message).toMatch(/^model tensor \S+ holds NaN at index \d+/);
    expect(reply?.type === 'error' && reply.message).not.toContain('\n');
  }
  session.dispose();
});

it("trains a text run from scratch with its data's vocabulary, sampling at each evaluation without moving its generator", async () => {
  const posts: FromWorker[] = [];
  const session = new Session((m) => posts.push(m));
  await session.handle({ type: 'init', backend: 'cpu' });
  const words = 'the quick brown fox jumps over the lazy dog.\n';
  const bytes = new TextEncoder().encode(words.repeat(40));
  await session.handle({
    type: 'loadDataset',
    source: { kind: 'files', name: 'fox', files: [{ name: 'fox.txt', bytes: bytes.slice() }] },
  });
  const ready = posts.find((m) => m.type === 'datasetReady');
  if (ready?.type !== 'datasetReady' || !ready.text) throw new Error('no text');
  const vocab = ready.text.vocab;
  expect(vocab).toBe(buildVocab(words));
  const config = { ...DEFAULT_TEXT_CONFIG, steps: 6, evalEvery: 3, blockSize: 8, batchSize: 4 };
  const model = TEXT_PRESETS.gpt({
    vocabSize: vocab.length,
    blockSize: 8,
    nLayer: 1,
    nHead: 2,
    nEmbd: 8,
    dropout: 0.1,
  });
  await session.handle({ type: 'train', runId: 't', model, config });
  expect(posts.filter((m) => m.type === 'error')).toEqual([]);
  const samples = posts.flatMap((m) => (m.type === 'runSample' ? [m] : []));
  expect(samples.map((m) => m.step)).toEqual([3, 6]);
  expect(samples[0].text).toHaveLength(RECORD_SAMPLE_CHARS);

  // The same run with no one sampling ends on the same weights: the samples drew nothing from it.
  const last = posts.filter((m) => m.type === 'checkpoint').at(-1);
  if (last?.type !== 'checkpoint') throw new Error('no checkpoint');
  const text = textData(bytes, 'fox.txt', 'fox');
  const alone = openRun({ spec: model, config }, (c) => prepareRunData(getDefaultBackend(), text, c, model));
  await alone.fit();
  const expected = parseCheckpoint(await alone.checkpoint()).model;
  const got = parseCheckpoint(last.bytes).model;
  for (const [key, t] of expected) expect(got.get(key)?.data, key).toEqual(t.data);
  alone.dispose();

  // The run's vocabulary came from its data: the Sample box works on it.
  await session.handle({ type: 'sample', requestId: 1, runId: 't', ...SAMPLE_DEFAULTS, tokens: 5 });
  expect(posts.at(-1)).toEqual({ type: 'sampleEnd', requestId: 1, error: null });
  session.dispose();
});

it('runs the LR finder on the form settings, streams its points, stops when asked, and refuses training meanwhile', async () => {
  const posts: FromWorker[] = [];
  const during: Promise<void>[] = [];
  const session: Session = new Session((m) => {
    posts.push(m);
    // Mid-test: a Train and a Stop arrive, as from the page.
    if (m.type === 'lrFindPoint' && m.requestId === 2 && m.point.step === 10)
      during.push(
        session.handle({ type: 'train', runId: 'r', model: MLP, config: DEFAULT_CONFIG }),
        session.handle({ type: 'stopLrFind', requestId: 2 }),
      );
  });
  await loadMnist300(session);
  const config = { ...DEFAULT_CONFIG, optimizer: 'adam' as const, valSplit: 50, batchSize: 16 };
  await session.handle({ type: 'lrFind', requestId: 1, model: MLP, config });
  // The first training step on a backend caches a few constants: the second test must free all it made.
  const memory = getDefaultBackend().memory().bytesInUse;
  const end = posts.find((m) => m.type === 'lrFindEnd');
  if (end?.type !== 'lrFindEnd' || !end.result) throw new Error(`no result: ${JSON.stringify(end)}`);
  const points = posts.flatMap((m) => (m.type === 'lrFindPoint' && m.requestId === 1 ? [m.point] : []));
  expect(points).toEqual(end.result.points);
  expect(end.result.end).not.toBe('stopped');
  expect(end.result.suggestedLr).toBeGreaterThan(0);

  await session.handle({ type: 'lrFind', requestId: 2, model: MLP, config });
  await Promise.all(during);
  const stopped = posts.findLast((m) => m.type === 'lrFindEnd');
  if (stopped?.type !== 'lrFindEnd' || !stopped.result) throw new Error('no result');
  expect(stopped.result.end).toBe('stopped');
  expect(stopped.result.points.length).toBeLessThanOrEqual(11);
  expect(posts).toContainEqual(
    expect.objectContaining({
      type: 'error',
      runId: 'r',
      message: 'the LR finder is running: stop it before training',
    }),
  );
  expect(getDefaultBackend().memory().bytesInUse).toBe(memory);

  // A bad setting is refused in one line, as lrFindEnd, not as an error of the page.
  await session.handle({ type: 'lrFind', requestId: 3, model: MLP, config: { ...config, batchSize: 0 } });
  expect(posts.at(-1)).toMatchObject({ type: 'lrFindEnd', requestId: 3, result: null });
  expect((posts.at(-1) as { error: string }).error).toMatch(/batch size/i);
  session.dispose();
});
