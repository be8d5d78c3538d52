/**
 * The GPT row of the benchmark: training tokens per second of the GPT preset on a character text,
 * through the same Run and trainer as `npm run train -- --dataset text` (AdamW in nanoGPT's groups,
 * warmup + cosine, clipping at 1.0), and the kernel launches one training step takes, counted by
 * wrapping the backend's run. The text is seeded random characters: throughput does not depend on
 * what the text says, and the suite runs in the browser too, where no file is at hand.
 */

import { Generator, setDefaultBackend, type WebGPUBackend } from 'kiln';
import { DEFAULT_TEXT_CONFIG, type TrainConfig } from 'kiln/config';
import type { TextData } from 'kiln/data';
import { type ModelSpec, TEXT_PRESETS } from 'kiln/spec';
import { prepareText, Run } from 'kiln/train';
import { countLaunches } from './launches';

/** Characters in the benchmark's vocabulary: shakespeare_char's 65. */
const VOCAB_SIZE = 65;

/**
 * The benchmarked model and run: the GPT preset's default widths (4 layers, 4 heads, 128 wide),
 * block 64, batch 16 (1,024 tokens a step): a 2-core machine's CPU Vulkan driver trains the row's
 * steps in about 20 s. Dropout 0, as nanoGPT's shakespeare_char on a small machine.
 */
export const GPT_BENCH: { spec: ModelSpec; config: TrainConfig; rounds: number } = (() => {
  const config: TrainConfig = {
    ...DEFAULT_TEXT_CONFIG,
    batchSize: 16,
    blockSize: 64,
    logEvery: 10,
  };
  return {
    spec: TEXT_PRESETS.gpt({ vocabSize: VOCAB_SIZE, blockSize: config.blockSize, dropout: 0 }),
    config,
    rounds: 2,
  };
})();

/** Seeded random characters as a text: 90% to train on, as any text run splits it. */
function randomText(chars: number): TextData {
  const g = new Generator(0);
  const ids = Int32Array.from({ length: chars }, () => g.int(VOCAB_SIZE));
  const vocab = Array.from({ length: VOCAB_SIZE }, (_, i) => String.fromCharCode(0x21 + i)).join('');
  const n = Math.floor(chars * 0.9);
  return { name: 'random', vocab, train: ids.subarray(0, n), val: ids.subarray(n) };
}

/**
 * Tokens per second of training GPT_BENCH on `backend` in rounds of `steps` (the best round after
 * the first, which compiles and tunes), and the kernel launches of one step (a later round's count
 * over its steps, the loss's accumulation and read included).
 */
export async function benchKilnGpt(
  backend: WebGPUBackend,
  steps: number,
): Promise<{ tokensPerSec: number; launches: number }> {
  setDefaultBackend(backend);
  const { spec, rounds } = GPT_BENCH;
  // Each round is one evaluation interval of the trainer: its epoch.
  const config = { ...GPT_BENCH.config, evalEvery: steps };
  const run = Run.create(spec, config, prepareText(randomText(100_000), config, 'every'));
  let best = 0;
  let perStep = 0;
  try {
    for (let r = 0; r <= rounds; r++) {
      const counted = countLaunches(backend);
      let launches: number;
      let t: Awaited<ReturnType<typeof run.trainer.trainEpoch>>;
      try {
        t = await run.trainer.trainEpoch();
        await backend.sync();
      } finally {
        launches = counted.stop();
      }
      if (r === 0) continue;
      best = Math.max(best, (t.samples * config.blockSize) / t.seconds);
      perStep = launches / t.steps;
    }
  } finally {
    run.dispose();
  }
  return { tokensPerSec: best, launches: perStep };
}
