/**
 * generate() as nanoGPT's sample.py: the sampler's semantics on the host (greedy at temperature 0,
 * top-k with ties, draws that follow the softmax), the refusals (a character outside the
 * vocabulary named with its position, an image model, a vocabulary of the wrong size, bad
 * settings), and on a GPT trained for 100 Adam steps on cpu: the same seed gives the same text on cpu and
 * webgpu, tokens stream one by one, the GPU byte count is flat across calls, the model's mode and
 * the global generator are untouched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type HostTensor, PRESETS } from '../nn';
import type { Module } from '../nn/module';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { defaultGenerator, getDefaultBackend, setDefaultBackend } from '../tensor/default';
import { Generator } from '../tensor/random';
import { webgpuBackend } from '../tensor/testing';
import type { WebGPUBackend } from '../tensor/webgpu';
import { parseCheckpoint } from './checkpoint';
import { checkpointVocab, encode, generate, languageModel, sampleNext } from './generate';
import { SAMPLE_DEFAULTS, SampleError, type SampleOptions, sampleOptionsError } from './sample_options';
import { TINY_BLOCK, TINY_VOCAB, tinyGptCheckpoint, tinyGptSpec, tinyGptWeights } from './testing';

const saved = getDefaultBackend();
afterAll(() => setDefaultBackend(saved));

describe('sampleNext', () => {
  it('temperature 0 takes the first maximum; top-k 1 the maximum too', () => {
    const g = new Generator(1);
    expect(sampleNext([0.1, 3, 3, -2], 0, null, g)).toBe(1);
    expect(sampleNext([0.1, 3, 2.9, -2], 1, 1, g)).toBe(1);
  });

  it('draws as the softmax of logits / temperature says, among the top k (ties at the k-th kept)', () => {
    const logits = [1, 2, 0.5, 2, -1];
    const draws = (temperature: number, topK: number | null, n = 40_000) => {
      const g = new Generator(7);
      const counts = new Array(logits.length).fill(0);
      for (let i = 0; i < n; i++) counts[sampleNext(logits, temperature, topK, g)]++;
      return counts.map((c) => c / n);
    };
    const softmax = (xs: number[]) => {
      const e = xs.map(Math.exp);
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => v / s);
    };
    const check = (got: number[], want: number[]) => {
      for (const [i, p] of got.entries()) expect(Math.abs(p - want[i])).toBeLessThan(0.01);
    };
    check(draws(1, null), softmax(logits));
    check(draws(0.5, null), softmax(logits.map((v) => v / 0.5)));
    // Top 2: the two 2s; top 3 keeps 1 as well; the others never come.
    check(draws(1, 2), [0, 0.5, 0, 0.5, 0]);
    check(draws(1, 3), softmax([1, 2, Number.NEGATIVE_INFINITY, 2, Number.NEGATIVE_INFINITY]));
  });

  it('refuses scores that are not finite', () => {
    expect(() => sampleNext([0, Number.NaN], 1, null, new Generator(0))).toThrow(/not finite \(NaN\)/);
  });
});

describe('refusals, each one line', () => {
  it('a prompt character outside the vocabulary, named with its position', () => {
    expect(() => encode(TINY_VOCAB, 'hello Zorld')).toThrow(
      `the prompt: the character "Z" (U+005A) at line 1, column 7 is not in the vocabulary of 13 characters`,
    );
    expect(encode(TINY_VOCAB, 'he\n')).toEqual([TINY_VOCAB.indexOf('h'), TINY_VOCAB.indexOf('e'), 0]);
  });

  it('an image model, a vocabulary that is not the model’s', () => {
    expect(() => languageModel(PRESETS.simplenn, TINY_VOCAB)).toThrow(
      'SimpleNN is not a language model: it takes [1,28,28] float32 inputs, generation needs token ids [block_size]',
    );
    expect(() => languageModel(tinyGptSpec(), 'abc')).toThrow(
      `the vocabulary has 3 characters, the model scores ${TINY_VOCAB.length}`,
    );
    expect(() => languageModel(tinyGptSpec('aab'), 'aab')).toThrow('the vocabulary repeats a character');
    expect(languageModel(tinyGptSpec(), TINY_VOCAB)).toEqual({
      blockSize: TINY_BLOCK,
      vocabSize: TINY_VOCAB.length,
      everyPosition: true,
    });
  });

  it('a checkpoint of an image model, or of a token model without its vocabulary', async () => {
    expect(checkpointVocab(parseCheckpoint(await tinyGptCheckpoint()).meta)).toBe(TINY_VOCAB);
    const bare = parseCheckpoint(await tinyGptCheckpoint(null)).meta;
    expect(() => checkpointVocab(bare)).toThrow(
      "gpt comes without its vocabulary (a text run's checkpoint carries one): its token ids cannot become text",
    );
    expect(() => checkpointVocab({ spec: PRESETS.simplenn, vocab: 'ab' })).toThrow(
      /SimpleNN is not a language model/,
    );
  });

  it('settings out of range, naming the setting', () => {
    const bad = (o: Partial<SampleOptions>) => sampleOptionsError({ ...SAMPLE_DEFAULTS, ...o });
    expect(bad({})).toBeNull();
    expect(bad({ prompt: '' })?.field).toBe('prompt');
    expect(bad({ tokens: 0 })?.message).toBe('tokens must be a whole number from 1 to 100000, got 0');
    expect(bad({ tokens: 2.5 })?.field).toBe('tokens');
    expect(bad({ temperature: -1 })?.field).toBe('temperature');
    expect(bad({ temperature: Number.POSITIVE_INFINITY })?.field).toBe('temperature');
    expect(bad({ topK: 0 })?.message).toBe('top-k must be a whole number >= 1, got 0');
    expect(bad({ seed: -3 })?.field).toBe('seed');
    expect(bad({ temperature: 0, topK: null })).toBeNull();
  });
});

const modelOn = (backend: Backend, weights: Map<string, HostTensor>): Module => {
  setDefaultBackend(backend);
  const m = buildModel(tinyGptSpec());
  m.loadStateDict(weights);
  return m;
};

describe('a GPT trained for a few steps', () => {
  let weights: Map<string, HostTensor>;
  let gpu: WebGPUBackend;
  beforeAll(async () => {
    weights = await tinyGptWeights();
    gpu = await webgpuBackend();
  });
  const options: SampleOptions = { prompt: 'hello wo', tokens: 40, temperature: 0.9, topK: 5, seed: 42 };

  it('the same seed gives the same text on cpu and webgpu, streamed one character at a time', async () => {
    const texts: string[] = [];
    for (const backend of [new CpuBackend(), gpu]) {
      const model = modelOn(backend, weights);
      const streamed: string[] = [];
      const text = await generate(model, tinyGptSpec(), TINY_VOCAB, options, (c) => streamed.push(c));
      expect(streamed.join('')).toBe(text);
      expect(streamed.every((c) => c.length === 1)).toBe(true);
      texts.push(text);
      // Greedy decoding agrees on both backends too.
      texts.push(await generate(model, tinyGptSpec(), TINY_VOCAB, { ...options, temperature: 0 }));
    }
    expect(texts[0]).toHaveLength(40);
    expect(texts[2]).toBe(texts[0]);
    expect(texts[3]).toBe(texts[1]);
    // A few steps teach it the text's words: the greedy continuation has them.
    expect(texts[1]).toMatch(/world|hello|bird/);
    // Another seed, another text.
    const other = await generate(modelOn(gpu, weights), tinyGptSpec(), TINY_VOCAB, { ...options, seed: 43 });
    expect(other).not.toBe(texts[0]);
  });

  it('frees every tensor (GPU bytes flat across calls), leaves the mode and global generator alone', async () => {
    const model = modelOn(gpu, weights);
    await generate(model, tinyGptSpec(), TINY_VOCAB, { ...options, tokens: 3 });
    const before = gpu.memory().bytesInUse;
    const state = defaultGenerator.getState();
    for (let i = 0; i < 3; i++)
      await generate(model, tinyGptSpec(), TINY_VOCAB, { ...options, prompt: 'h', seed: i });
    expect(gpu.memory().bytesInUse).toBe(before);
    expect(defaultGenerator.getState()).toEqual(state);
    expect(model.training).toBe(true);
    // A refused prompt leaves nothing behind either.
    await expect(generate(model, tinyGptSpec(), TINY_VOCAB, { ...options, prompt: 'hi!' })).rejects.toThrow(
      SampleError,
    );
    expect(gpu.memory().bytesInUse).toBe(before);
  });
});

describe('the e2e fixture', () => {
  const fixture = join(import.meta.dirname, 'fixtures/tiny-gpt.safetensors');
  it("is the tiny GPT's checkpoint, vocabulary and all (KILN_WRITE_FIXTURES=1 writes it again)", async () => {
    if (process.env.KILN_WRITE_FIXTURES) writeFileSync(fixture, await tinyGptCheckpoint());
    const { meta, model } = parseCheckpoint(new Uint8Array(readFileSync(fixture)));
    expect(meta.vocab).toBe(TINY_VOCAB);
    expect(meta.spec).toEqual(tinyGptSpec());
    const weights = await tinyGptWeights();
    for (const [k, t] of weights) expect(Array.from(model.get(k)?.data ?? []), k).toEqual(Array.from(t.data));
  });
});
