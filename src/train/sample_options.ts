/**
 * The settings of a text sample (nanoGPT's sample.py's), their defaults and their checks: pure
 * data, so the page's Sample box and the worker's protocol read them without the engine, and the
 * CLI, the page and generate() check them in this one place.
 */

/** A sample that cannot be made as asked (a setting, the prompt, the model); one line. */
export class SampleError extends Error {
  override name = 'SampleError';
  constructor(
    /** The setting at fault (`prompt`, `temperature`...), or null when it is the model or vocabulary. */
    readonly field: keyof SampleOptions | null,
    message: string,
  ) {
    super(message);
  }
}

/** What to generate: nanoGPT's sample.py settings. */
export interface SampleOptions {
  /** The text to continue (sample.py's `start`). */
  prompt: string;
  /** Characters to generate (max_new_tokens). */
  tokens: number;
  /** Divides the logits: under 1 sharper, over 1 flatter; 0 always takes the most likely character. */
  temperature: number;
  /** Draws among the k most likely characters only; null draws among all. */
  topK: number | null;
  /** Seeds the sampler's own generator. */
  seed: number;
}

/** sample.py's defaults (a newline to start, 500 characters, temperature 0.8, top-k 200, seed 1337). */
export const SAMPLE_DEFAULTS: SampleOptions = {
  prompt: '\n',
  tokens: 500,
  temperature: 0.8,
  topK: 200,
  seed: 1337,
};

/** Most characters one request may generate or hold in its prompt. */
export const MAX_SAMPLE_CHARS = 100_000;

/** The first problem with sample settings as one line, or null. */
export function sampleOptionsError(o: SampleOptions): SampleError | null {
  const bad = (field: keyof SampleOptions, message: string) => new SampleError(field, message);
  if (o.prompt.length === 0) return bad('prompt', 'the prompt is empty: give at least one character');
  if (o.prompt.length > MAX_SAMPLE_CHARS)
    return bad('prompt', `the prompt has ${o.prompt.length} characters, at most ${MAX_SAMPLE_CHARS}`);
  if (!Number.isInteger(o.tokens) || o.tokens < 1 || o.tokens > MAX_SAMPLE_CHARS)
    return bad('tokens', `tokens must be a whole number from 1 to ${MAX_SAMPLE_CHARS}, got ${o.tokens}`);
  if (!Number.isFinite(o.temperature) || o.temperature < 0)
    return bad(
      'temperature',
      `temperature must be a number >= 0 (0: always the most likely character), got ${o.temperature}`,
    );
  if (o.topK !== null && (!Number.isInteger(o.topK) || o.topK < 1))
    return bad('topK', `top-k must be a whole number >= 1, got ${o.topK}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0)
    return bad('seed', `seed must be a whole number >= 0, got ${o.seed}`);
  return null;
}
