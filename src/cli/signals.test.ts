/**
 * Signals that end a CLI run keep its work: SIGHUP (a closed terminal, a dropped SSH connection)
 * stops after the step with a checkpoint as SIGTERM does, and SIGTERM sent to `npm run train`
 * (timeout, a supervisor, docker stop) reaches the trainer instead of orphaning it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../train/checkpoint';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'kiln-signals-'));
/** Epochs of 2 steps, far more than a test waits for: only a signal ends it. */
const ENDLESS = [
  '--backend',
  'cpu',
  '--dataset',
  'synthetic',
  '--limit',
  '64',
  '--batch-size',
  '32',
  '--model',
  'linear:4,relu,linear:2',
  '--epochs',
  '100000',
  '--checkpoint-every',
  '100000',
];

/** Its stderr once the first epoch is reported, and its exit. */
function started(child: ChildProcess) {
  let stderr = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const ready = new Promise<void>((go) =>
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
      if (/epoch 1:/.test(stderr)) go();
    }),
  );
  return { ready, exit, stderr: () => stderr };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('signals', () => {
  it('SIGHUP stops after the step, writes the checkpoint and exits 129 (128 + SIGHUP)', async () => {
    const checkpoint = join(dir, 'hup.safetensors');
    const child = spawn(
      'node',
      ['scripts/run-node.mjs', 'src/cli/train.ts', ...ENDLESS, '--checkpoint', checkpoint],
      {
        cwd: ROOT,
      },
    );
    const run = started(child);
    await run.ready;
    child.kill('SIGHUP');
    expect(await run.exit).toEqual({ code: 129, signal: null });
    expect(run.stderr()).toMatch(
      /SIGHUP: stopping after this step[\s\S]*Stopped at step \d+; resume with --resume/,
    );
    expect(parseCheckpoint(new Uint8Array(readFileSync(checkpoint))).meta.epoch).toBeGreaterThanOrEqual(1);
  });

  it('SIGTERM to `npm run train` reaches the trainer: it stops with its checkpoint, nothing is left running', async () => {
    const checkpoint = join(dir, 'npm.safetensors');
    const npm = spawn('npm', ['run', '--silent', 'train', '--', ...ENDLESS, '--checkpoint', checkpoint], {
      cwd: ROOT,
    });
    const run = started(npm);
    await run.ready;
    npm.kill('SIGTERM');
    await run.exit;
    // npm waits for its script: by now the trainer has stopped and written where it stopped.
    expect(run.stderr()).toMatch(/SIGTERM: stopping after this step[\s\S]*Stopped at step \d+/);
    expect(parseCheckpoint(new Uint8Array(readFileSync(checkpoint))).meta.epoch).toBeGreaterThanOrEqual(1);
    // No process is left training with this checkpoint (pgrep exits 1 when it finds none).
    expect(spawnSync('pgrep', ['-f', '--', checkpoint]).status).toBe(1);
    expect(npm.pid && alive(npm.pid)).toBe(false);
  });
});
