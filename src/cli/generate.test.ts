/**
 * `npm run generate` as a user runs it: a child process on a text run's checkpoint (the tiny GPT of
 * train/testing.ts), the same text from a seed on both backends, and each refusal one line on
 * stderr with exit code 2: a missing or damaged file named with its flag, an image model's
 * checkpoint, a checkpoint without a vocabulary, a prompt character outside it, bad flag values.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../nn';
import type { ModelSpec } from '../nn/spec';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import { checkpointOf, TINY_VOCAB, tinyGptCheckpoint } from '../train/testing';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'kiln-generate-'));
const gpt = join(dir, 'gpt.safetensors');
const bare = join(dir, 'bare.safetensors');
const image = join(dir, 'image.safetensors');
const damaged = join(dir, 'damaged.safetensors');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', ['scripts/run-node.mjs', 'src/cli/generate.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  const bytes = await tinyGptCheckpoint();
  writeFileSync(gpt, bytes);
  writeFileSync(bare, await tinyGptCheckpoint(null));
  writeFileSync(damaged, bytes.subarray(0, bytes.length - 100));
  const spec: ModelSpec = {
    name: 'Tiny MLP',
    inputShape: [1, 2, 2],
    layers: [{ type: 'Flatten' }, { type: 'Linear', name: 'fc', inFeatures: 4, outFeatures: 3 }],
  };
  setDefaultBackend(new CpuBackend());
  writeFileSync(image, checkpointOf(spec, await buildModel(spec).stateDictData(), TINY_VOCAB));
});

describe('npm run generate', () => {
  it('prints the prompt and its continuation; a seed gives the same text on cpu and webgpu', () => {
    const args = ['--checkpoint', gpt, '--prompt', 'hello wo', '--tokens', '30', '--seed', '5'];
    const cpu = run(...args, '--backend', 'cpu', '--temperature', '0.7', '--top-k', '4');
    expect(cpu.stderr).toBe('Backend: cpu (plain TypeScript, slow)\n');
    expect(cpu.status).toBe(0);
    expect(cpu.stdout).toMatch(/^hello wo[\s\S]{30}\n$/);
    expect([...cpu.stdout.slice(8, -1)].every((c) => TINY_VOCAB.includes(c))).toBe(true);
    const gpu = run(...args, '--backend', 'webgpu', '--temperature', '0.7', '--top-k', '4');
    expect(gpu.status).toBe(0);
    expect(gpu.stderr).toMatch(/^Backend: webgpu on /m);
    expect(gpu.stdout).toBe(cpu.stdout);
  });

  it('refuses in one line with exit code 2', () => {
    const cases: [string[], string][] = [
      [[], '--checkpoint FILE is required (see --help)'],
      [
        ['--checkpoint', join(dir, 'none.safetensors')],
        `--checkpoint: cannot read ${join(dir, 'none.safetensors')} (ENOENT)`,
      ],
      [['--checkpoint', damaged], `--checkpoint ${damaged}: `],
      [
        ['--checkpoint', image],
        `--checkpoint ${image}: Tiny MLP is not a language model: it takes [1,2,2] float32 inputs`,
      ],
      [['--checkpoint', bare], `--checkpoint ${bare}: gpt comes without its vocabulary`],
      [
        ['--checkpoint', gpt, '--prompt', 'hello, world'],
        `--prompt: the prompt: the character "," (U+002C) at line 1, column 6 is not in the vocabulary of 13 characters`,
      ],
      [['--checkpoint', gpt, '--prompt', ''], '--prompt: the prompt is empty'],
      [['--checkpoint', gpt, '--temperature', '-1'], '--temperature: temperature must be a number >= 0'],
      [['--checkpoint', gpt, '--temperature', 'hot'], '--temperature expects a number, got "hot"'],
      [['--checkpoint', gpt, '--tokens', '0'], '--tokens must be a whole number >= 1, got "0"'],
      [['--checkpoint', gpt, '--top-k', '2.5'], '--top-k must be a whole number >= 1, got "2.5"'],
      [
        ['--checkpoint', gpt, '--backend', 'tpu'],
        '--backend must be one of auto, webgpu, wasm, cpu, got "tpu"',
      ],
      [['--checkpoint', gpt, '--topk', '3'], "Unknown option '--topk'"],
    ];
    for (const [args, message] of cases) {
      const r = run('--backend', 'cpu', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toContain(`error: ${message}`);
    }
  });
});
