/** The CLI as a user runs it: a child process, checked by exit code, stderr and the files it writes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
const TINY = ['--backend', 'cpu', '--dataset', 'synthetic', '--limit', '200', '--batch-size', '32'];
const MODEL = ['--model', 'linear:16,bn,relu,dropout:0.3,linear:2', '--scheduler', 'step', '--gamma', '0.5'];

function train(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', ['scripts/run-node.mjs', 'src/cli/train.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit code 2 and one line naming the problem, no stack trace. */
function expectUsageError(r: ReturnType<typeof train>, pattern: RegExp): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(/^error: /);
  expect(lines.at(-1)).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('npm run train', () => {
  it('resumes a run exactly across processes, with checkpoints and a TensorBoard log', () => {
    const straight = join(dir, 'straight.safetensors');
    const resumed = join(dir, 'resumed.safetensors');
    const checkpoint = join(dir, 'run.safetensors');
    expect(train(...TINY, ...MODEL, '--epochs', '2', '--json', '--save', straight).status).toBe(0);
    expect(train(...TINY, ...MODEL, '--epochs', '1', '--json', '--checkpoint', checkpoint).status).toBe(0);
    const r = train(
      '--backend',
      'cpu',
      '--dataset',
      'synthetic',
      '--resume',
      checkpoint,
      '--epochs',
      '2',
      '--json',
      '--save',
      resumed,
      '--logdir',
      join(dir, 'tb'),
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ epoch: 2, lr: 0.0005 });
    expect(Buffer.compare(readFileSync(resumed), readFileSync(straight))).toBe(0);
    const [events] = readdirSync(join(dir, 'tb'));
    expect(events).toMatch(/^events\.out\.tfevents\./);
    const text = readFileSync(join(dir, 'tb', events)).toString('latin1');
    for (const tag of ['Loss/train', 'Loss/val', 'Accuracy/val', 'learning_rate'])
      expect(text).toContain(tag);
  });

  it('refuses bad input with one clear line', () => {
    expectUsageError(train('--resume', join(dir, 'missing.safetensors')), /--resume: cannot read .*ENOENT/);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    expectUsageError(train('--resume', truncated), /header length 200 runs past the end/);
    expectUsageError(train('--epochs', 'two'), /--epochs expects an integer/);
    expectUsageError(
      train(...TINY, '--checkpoint-every', '0', '--checkpoint', join(dir, 'x')),
      /--checkpoint-every/,
    );
    expectUsageError(train('--no-such-flag'), /no-such-flag/);
  });
});
