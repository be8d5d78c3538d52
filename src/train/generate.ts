/**
 * Text from a character-level language model, as nanoGPT's sample.py makes it: the prompt's last
 * block_size characters through the model (eval mode, no gradients, on the model's own backend),
 * the last position's logits divided by the temperature, all but the top k set to -inf, a softmax
 * and one draw, repeated. The draw happens on the host in float64 with Kiln's seeded generator, so
 * a seed gives the same text on the cpu and webgpu backends (their logits differ by float rounding
 * only), and never touches the global generator a training run draws from.
 */
import { DatasetError } from '../data/errors';
import { encode as encodeText } from '../data/text';
import type { Module } from '../nn/module';
import { type ModelSpec, outputShape } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { Generator } from '../tensor/random';
import type { CheckpointMeta } from './checkpoint';
import { evaluating } from './evaluate';
import { SAMPLE_DEFAULTS, SampleError, type SampleOptions, sampleOptionsError } from './sample_options';

/** How a token model reads and writes: its context length and how its output is laid out. */
export interface LanguageModel {
  /** Characters the model reads at most (the spec's inputShape[0]). */
  blockSize: number;
  /** Scores per step: the vocabulary's size. */
  vocabSize: number;
  /**
   * True when the model scores the next character at every position ([T, V] per sample, a GPT or
   * a bigram model: any context up to blockSize); false for one score vector ([V], an MLP over a
   * fixed window: exactly blockSize characters).
   */
  everyPosition: boolean;
}

/**
 * The spec read as a character model over `vocab` (the characters in id order), or a one-line
 * refusal: an image or table model, or a vocabulary that is not the model's.
 */
export function languageModel(spec: ModelSpec, vocab: string): LanguageModel {
  const out = checkTokenModel(spec);
  const [blockSize] = spec.inputShape;
  const everyPosition = out.length === 2 && out[0] === blockSize;
  if (!everyPosition && out.length !== 1) {
    throw new SampleError(
      null,
      `${spec.name} gives [${out}] per sample, a language model gives one score per character ([${blockSize}, V] or [V])`,
    );
  }
  const vocabSize = out[out.length - 1];
  if (vocab.length !== vocabSize) {
    throw new SampleError(
      null,
      `the vocabulary has ${vocab.length} characters, the model scores ${vocabSize}: they do not belong together`,
    );
  }
  if (new Set(vocab.split('')).size !== vocab.length)
    throw new SampleError(null, 'the vocabulary repeats a character');
  return { blockSize, vocabSize, everyPosition };
}

/** The spec's per-sample output shape, or a one-line refusal of a model that does not read token ids. */
function checkTokenModel(spec: ModelSpec): number[] {
  const out = outputShape(spec);
  if (spec.inputDtype !== 'int32' || spec.inputShape.length !== 1 || !out) {
    throw new SampleError(
      null,
      `${spec.name} is not a language model: it takes [${spec.inputShape}] ${spec.inputDtype ?? 'float32'} inputs, generation needs token ids [block_size]`,
    );
  }
  return out;
}

/**
 * The vocabulary a text run's checkpoint carries (or a held run took from it), the one place it
 * is read: an image or table model, or one without a vocabulary, is refused in one line.
 */
export function checkpointVocab(meta: Pick<CheckpointMeta, 'spec' | 'vocab'>): string {
  checkTokenModel(meta.spec);
  if (meta.vocab === undefined) {
    throw new SampleError(
      null,
      `${meta.spec.name} comes without its vocabulary (a text run's checkpoint carries one): its token ids cannot become text`,
    );
  }
  return meta.vocab;
}

/**
 * The prompt's token ids, read as the text's own are (one id per character, data/text.ts's encode);
 * a character outside the vocabulary is refused naming it and where it is.
 */
export function encode(vocab: string, text: string): number[] {
  try {
    return Array.from(encodeText(text, vocab));
  } catch (e) {
    if (e instanceof DatasetError)
      throw new SampleError('prompt', `the prompt: ${e.message.replace(/^text: /, '')}`);
    throw e;
  }
}

/** The backend a model's parameters live on: its forward runs there. */
export function modelBackend(model: Module): Backend {
  const [p] = model.parameters();
  if (!p) throw new SampleError(null, 'the model has no parameters');
  return p.backend;
}

/**
 * Continues `options.prompt` by `options.tokens` characters drawn from the model, handing each to
 * `onToken` as it comes (a slow GPU shows text appearing), and returns the new characters. Every
 * tensor it makes is freed before it returns; the model's mode is left as it was.
 */
export async function generate(
  model: Module,
  spec: ModelSpec,
  vocab: string,
  options: SampleOptions,
  onToken?: (char: string) => void,
): Promise<string> {
  const problem = sampleOptionsError(options);
  if (problem) throw problem;
  const lm = languageModel(spec, vocab);
  const ids = encode(vocab, options.prompt);
  if (!lm.everyPosition && ids.length < lm.blockSize) {
    throw new SampleError(
      'prompt',
      `${spec.name} reads exactly ${lm.blockSize} characters: give a prompt of at least ${lm.blockSize} (it has ${ids.length})`,
    );
  }
  const backend = modelBackend(model);
  const generator = new Generator(options.seed);
  const chars = [...vocab];
  let text = '';
  for (let i = 0; i < options.tokens; i++) {
    const logits = await nextLogits(model, lm, backend, ids.slice(-lm.blockSize));
    const id = sampleNext(logits, options.temperature, options.topK, generator);
    ids.push(id);
    text += chars[id];
    onToken?.(chars[id]);
  }
  return text;
}

/** Characters of the sample a text run's record keeps at each evaluation (its TensorBoard text). */
export const RECORD_SAMPLE_CHARS = 200;

/**
 * The sample a text run's record keeps at an evaluation: RECORD_SAMPLE_CHARS characters with
 * sample.py's settings from a newline, or from the vocabulary's first character when the text has
 * no newline (a prompt must be in the vocabulary).
 */
export function recordSample(model: Module, spec: ModelSpec, vocab: string): Promise<string> {
  const prompt = vocab.includes('\n') ? '\n' : [...vocab][0];
  return generate(model, spec, vocab, { ...SAMPLE_DEFAULTS, prompt, tokens: RECORD_SAMPLE_CHARS });
}

/** The model's scores for the character after `context` (at most blockSize ids), read back. */
async function nextLogits(
  model: Module,
  lm: LanguageModel,
  backend: Backend,
  context: number[],
): Promise<Float32Array> {
  const T = context.length;
  const last = evaluating(model, () => {
    const y = model.forward(ops.tensor(backend, Int32Array.from(context), [1, T]));
    // Only the last position's V scores cross back to the host, not T x V of them.
    return lm.everyPosition ? ops.asStrided(y, [lm.vocabSize], [1], (T - 1) * lm.vocabSize) : y;
  });
  try {
    return (await last.data()) as Float32Array;
  } finally {
    last.dispose();
  }
}

/**
 * One draw from logits, as nanoGPT: logits / temperature, the top k kept (ties with the k-th
 * kept too, as `logits[logits < v[-1]] = -inf` does), softmax, then torch.multinomial's inverse
 * CDF on one uniform number. All in float64 on the host; temperature 0 is argmax (the first
 * maximum, as torch.argmax).
 */
export function sampleNext(
  logits: ArrayLike<number>,
  temperature: number,
  topK: number | null,
  generator: Generator,
): number {
  const n = logits.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(logits[i]))
      throw new SampleError(
        null,
        `the model's scores are not finite (${logits[i]}): its weights have diverged`,
      );
  }
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const scaled = Float64Array.from(logits, (v) => v / temperature);
  if (topK !== null && topK < n) {
    const kth = Float64Array.from(scaled).sort()[n - topK];
    for (let i = 0; i < n; i++) if (scaled[i] < kth) scaled[i] = Number.NEGATIVE_INFINITY;
  }
  const max = scaled.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  let total = 0;
  for (let i = 0; i < n; i++) {
    scaled[i] = Math.exp(scaled[i] - max);
    total += scaled[i];
  }
  const u = generator.random() * total;
  let cumulative = 0;
  for (let i = 0; i < n; i++) {
    cumulative += scaled[i];
    if (u < cumulative) return i;
  }
  // u * total rounds up to the full sum only at the last nonzero probability.
  let lastNonZero = n - 1;
  while (lastNonZero > 0 && scaled[lastNonZero] === 0) lastNonZero--;
  return lastNonZero;
}
