/**
 * PyTorch CPU eager beside Kiln in `npm run bench` (Node only): Debian's torch through
 * /usr/bin/python3 trains each row's model from the script Kiln exports for it
 * (scripts/torch/bench_gpt.py and bench_mnist.py, carried in the bundle), in the same run: the GPT
 * row with as many threads as the machine has cores, the image rows with those and with one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from 'kiln/config';
import type { RawImageDataset as RawImages } from 'kiln/datasets';
import { exportPytorch } from 'kiln/export';
import { PRESETS } from 'kiln/spec';
import BENCH_GPT_PY from '../scripts/torch/bench_gpt.py?raw';
import BENCH_MNIST_PY from '../scripts/torch/bench_mnist.py?raw';
import { GPT_BENCH } from './gpt';

const PYTHON = '/usr/bin/python3';
const NO_TORCH = 'apt-get install python3-torch python3-numpy';

/** Why a Python run gave no figure: its error or the last line of its stderr. */
function whyNot(r: ReturnType<typeof spawnSync>): string {
  const err = typeof r.stderr === 'string' ? r.stderr : '';
  return r.error?.message ?? err.trim().split('\n').at(-1) ?? `exit ${r.status}`;
}

/**
 * Tokens per second of PyTorch training GPT_BENCH in rounds of `steps` (the best after a warm-up
 * round) and its threads, or why there is no figure: Python or torch is not there.
 */
export function benchTorchGpt(
  steps: number,
): { tokensPerSec: number; threads: number } | { missing: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-torch-'));
  try {
    const trainPy = join(dir, 'train.py');
    writeFileSync(trainPy, exportPytorch(GPT_BENCH.spec, GPT_BENCH.config));
    // Carried in the bundle (a bundle run elsewhere, as on a GPU machine, has no scripts/ beside it).
    const script = join(dir, 'bench_gpt.py');
    writeFileSync(script, BENCH_GPT_PY);
    const r = spawnSync(PYTHON, [script, trainPy, String(steps), String(GPT_BENCH.rounds)], {
      encoding: 'utf8',
    });
    if (r.error || r.status !== 0) {
      return { missing: `${PYTHON} with torch did not run (${whyNot(r)}): ${NO_TORCH}` };
    }
    const out = JSON.parse(r.stdout) as { tokens_per_s: number; threads: number };
    return { tokensPerSec: out.tokens_per_s, threads: out.threads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PyTorch's samples per second on one image row, with all the machine's cores and with one thread. */
export interface TorchImageFigures {
  allCores: number;
  threads: number;
  oneThread: number;
}

/**
 * Samples per second of PyTorch CPU eager training an image preset (the exported script's model,
 * Adam and loss at Kiln's defaults, batch 64) on the first `count` samples of `raw`, normalised
 * as Kiln's rows normalise them: the best epoch of `epochs` after a warm-up one, on all cores and
 * on one thread; or why there is no figure.
 */
export function benchTorchImages(
  preset: 'simplenn' | 'lenet' | 'cnn',
  raw: RawImages,
  count: number,
  epochs: number,
): TorchImageFigures | { missing: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-torch-'));
  try {
    const trainPy = join(dir, 'train.py');
    writeFileSync(trainPy, exportPytorch(PRESETS[preset], { ...DEFAULT_CONFIG, batchSize: 64 }));
    const script = join(dir, 'bench_mnist.py');
    writeFileSync(script, BENCH_MNIST_PY);
    // The pixels as float32, normalised with MNIST's mean and std (as ToTensor + Normalize), then the labels.
    const pixels = new Float32Array(count * 784);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (raw.images[i] / 255 - 0.1307) / 0.3081;
    const data = join(dir, 'data.bin');
    writeFileSync(
      data,
      Buffer.concat([Buffer.from(pixels.buffer), Buffer.from(raw.labels.subarray(0, count))]),
    );
    const cores = cpus().length;
    const r = spawnSync(PYTHON, [script, trainPy, data, String(count), String(epochs), `${cores},1`], {
      encoding: 'utf8',
    });
    if (r.error || r.status !== 0) {
      return { missing: `${PYTHON} with torch did not run (${whyNot(r)}): ${NO_TORCH}` };
    }
    const [all, one] = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { samples_per_s: number; threads: number });
    return { allCores: all.samples_per_s, threads: all.threads, oneThread: one.samples_per_s };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
