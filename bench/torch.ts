/**
 * PyTorch CPU eager beside Kiln in `npm run bench` (Node only): Debian's torch through
 * /usr/bin/python3 trains the GPT row's model from the script Kiln exports for it
 * (scripts/torch/bench_gpt.py, carried in the bundle), in the same run, with as many threads as the machine has cores.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPytorch } from 'kiln/export';
import BENCH_GPT_PY from '../scripts/torch/bench_gpt.py?raw';
import { GPT_BENCH } from './gpt';

const PYTHON = '/usr/bin/python3';

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
      const why = r.error?.message ?? r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`;
      return { missing: `${PYTHON} with torch did not run (${why}): apt-get install python3-torch` };
    }
    const out = JSON.parse(r.stdout) as { tokens_per_s: number; threads: number };
    return { tokensPerSec: out.tokens_per_s, threads: out.threads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
