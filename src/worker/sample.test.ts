/**
 * The worker's text requests on a text run's uploaded checkpoint (the tiny GPT of train/testing.ts):
 * a sample streams the text generate() gives for the same weights and seed, one character per
 * message, and ends; each attention head's pattern is a causal triangle whose rows are
 * distributions; the next-character probabilities are sorted and agree with greedy sampling; every
 * refusal ends its own request in one line and never marks the run failed; memory is flat.
 */
import { beforeAll, expect, it } from 'vitest';
import { buildModel } from '../nn';
import { CpuBackend } from '../tensor/cpu';
import { getDefaultBackend, setDefaultBackend } from '../tensor/default';
import { generate } from '../train/generate';
import { TINY_BLOCK, TINY_VOCAB, tinyGptCheckpoint, tinyGptSpec, tinyGptWeights } from '../train/testing';
import type { FromWorker, MessageOf } from './protocol';
import { Session } from './session';

const posts: FromWorker[] = [];
const session = new Session((m) => posts.push(m));
const options = { prompt: 'hello wo', tokens: 30, temperature: 0.7, topK: 4, seed: 5 };

beforeAll(async () => {
  await session.handle({ type: 'init', backend: 'cpu' });
  await session.handle({ type: 'importCheckpoint', runId: 'gpt', bytes: await tinyGptCheckpoint() });
  await session.handle({ type: 'importCheckpoint', runId: 'bare', bytes: await tinyGptCheckpoint(null) });
  expect(posts.map((m) => m.type)).toEqual(['ready', 'checkpointLoaded', 'checkpointLoaded']);
});

/** The reports a request produced. */
async function answer(msg: Parameters<Session['handle']>[0]): Promise<FromWorker[]> {
  const from = posts.length;
  await session.handle(msg);
  return posts.slice(from);
}

it('streams the text generate() makes from the same weights and seed, then ends', async () => {
  const replies = await answer({ type: 'sample', requestId: 1, runId: 'gpt', ...options });
  const texts = replies.filter((m): m is MessageOf<FromWorker, 'sampleText'> => m.type === 'sampleText');
  expect(texts).toHaveLength(30);
  expect(texts.every((m) => m.requestId === 1 && m.text.length === 1)).toBe(true);
  expect(replies.at(-1)).toEqual({ type: 'sampleEnd', requestId: 1, error: null });

  const saved = getDefaultBackend();
  setDefaultBackend(new CpuBackend());
  const model = buildModel(tinyGptSpec());
  model.loadStateDict(await tinyGptWeights());
  setDefaultBackend(saved);
  expect(texts.map((m) => m.text).join('')).toBe(await generate(model, tinyGptSpec(), TINY_VOCAB, options));
});

it("shows each head's attention as a causal triangle and the likeliest next characters", async () => {
  const prompt = 'xx hello world'.slice(2); // 12 characters: the model reads the last 8
  const [reply] = await answer({ type: 'inspectText', requestId: 2, runId: 'gpt', prompt });
  if (reply.type !== 'textInspection' || !reply.inspection)
    throw new Error(`no inspection: ${JSON.stringify(reply)}`);
  const { context, attention, next } = reply.inspection;
  expect(context).toBe(prompt.slice(-TINY_BLOCK));
  expect(attention.map((a) => [a.name, a.heads, a.size, a.values.length])).toEqual([
    ['h.0.0.attn', 2, TINY_BLOCK, 2 * TINY_BLOCK * TINY_BLOCK],
  ]);
  const { values } = attention[0];
  for (let h = 0; h < 2; h++)
    for (let t = 0; t < TINY_BLOCK; t++) {
      const row = values.subarray((h * TINY_BLOCK + t) * TINY_BLOCK, (h * TINY_BLOCK + t + 1) * TINY_BLOCK);
      expect(row.slice(t + 1).every((v) => v === 0)).toBe(true);
      expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    }
  expect(next).toHaveLength(TINY_BLOCK);
  for (const n of next) {
    expect(n.chars).toHaveLength(10);
    expect(n.probs).toEqual([...n.probs].sort((a, b) => b - a));
    expect(n.probs.reduce((a, b) => a + b)).toBeLessThanOrEqual(1 + 1e-6);
  }
  // The likeliest next character at the end is what greedy sampling writes first.
  const greedy = await answer({
    type: 'sample',
    requestId: 3,
    runId: 'gpt',
    ...options,
    prompt,
    temperature: 0,
    tokens: 1,
  });
  expect(greedy[0]).toEqual({ type: 'sampleText', requestId: 3, text: next.at(-1)?.chars[0] });
});

it('refuses in one line within its own request, the run not failed; memory flat', async () => {
  const memory = () => getDefaultBackend().memory().bytesInUse;
  const before = memory();
  const refusals: [Parameters<Session['handle']>[0], string][] = [
    [
      { type: 'sample', requestId: 4, runId: 'gpt', ...options, prompt: 'hi!' },
      `the prompt: the character "!" (U+0021) at line 1, column 3`,
    ],
    [
      { type: 'sample', requestId: 5, runId: 'gpt', ...options, temperature: -1 },
      'temperature must be a number >= 0',
    ],
    [{ type: 'sample', requestId: 6, runId: 'bare', ...options }, 'gpt comes without its vocabulary'],
    [{ type: 'sample', requestId: 7, runId: 'nope', ...options }, 'no run nope to sample from'],
    [
      { type: 'inspectText', requestId: 8, runId: 'gpt', prompt: 'Hello' },
      `the prompt: the character "H" (U+0048) at line 1, column 1`,
    ],
  ];
  for (const [msg, line] of refusals) {
    const replies = await answer(msg);
    expect(replies).toHaveLength(1);
    const [r] = replies;
    const error = r.type === 'sampleEnd' || r.type === 'textInspection' ? r.error : null;
    expect(error).toContain(line);
    expect(error).not.toContain('\n');
  }
  for (let i = 0; i < 3; i++) {
    await answer({ type: 'sample', requestId: 9, runId: 'gpt', ...options, tokens: 3 });
    await answer({ type: 'inspectText', requestId: 10, runId: 'gpt', prompt: 'hello' });
  }
  expect(memory()).toBe(before);
  expect(posts.some((m) => m.type === 'error')).toBe(false);
});
