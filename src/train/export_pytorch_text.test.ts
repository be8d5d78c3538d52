/**
 * The exported train.py of a text run, checked with Debian's torch: Kiln's CLI trains a small GPT
 * and exports it; the script's --eval-only on Kiln's checkpoint and on its state dict prints the
 * validation loss Kiln's --eval-only prints, it resumes the checkpoint where Kiln stopped (its step
 * and learning rate), and it refuses bad text in one line as Kiln does. Fails (never skips) when
 * torch is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pangramText } from '../data/testing';
import { WarmupCosineLR } from '../optim';

const ROOT = join(import.meta.dirname, '../..');
const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'kiln-torch-text-'));
const text = join(dir, 'pangrams.txt');
const checkpoint = join(dir, 'run.safetensors');
const state = join(dir, 'state.safetensors');
const trainPy = join(dir, 'py', 'train.py');

/** Runs a command in the repository; its exit status, stdout and stderr. */
function spawn(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last line of stdout as JSON, after checking the command succeeded. */
function lastJson(r: ReturnType<typeof spawn>) {
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
}

const kiln = (...args: string[]) => spawn('node', ['scripts/run-node.mjs', 'src/cli/train.ts', ...args]);
const MODEL = [
  ...['--backend', 'cpu', '--dataset', 'text', '--text', text, '--model', 'gpt'],
  ...['--n-layer', '2', '--n-head', '3', '--n-embd', '18', '--block-size', '13', '--batch-size', '4'],
];
const SCHEDULE = { warmupSteps: 3, decaySteps: 30, minLr: 1e-4 };
const LR = 1e-3;

describe('the exported train.py of a text run', () => {
  beforeAll(() => {
    writeFileSync(text, pangramText());
    const r = kiln(
      ...MODEL,
      ...['--steps', '20', '--eval-every', '10', '--lr', String(LR)],
      ...['--warmup-steps', '3', '--decay-steps', '30', '--min-lr', String(SCHEDULE.minLr)],
      ...['--json', '--save', state, '--checkpoint', checkpoint, '--export-pytorch', join(dir, 'py')],
    );
    expect(r.status, r.stderr).toBe(0);
  });

  it("prints the validation loss Kiln's --eval-only prints, from the checkpoint and the state dict", () => {
    const ours = lastJson(kiln(...MODEL, '--init', state, '--eval-only'));
    for (const file of [checkpoint, state]) {
      const theirs = lastJson(spawn(PYTHON, [trainPy, '--text', text, '--resume', file, '--eval-only']));
      expect(theirs.val_samples).toBe(ours.val_samples);
      // Sums of a few hundred float32 losses, in float32 on the device against float64 in Python.
      expect(Math.abs(theirs.val_loss - ours.val_loss)).toBeLessThan(1e-6 * ours.val_loss);
      expect(theirs.val_bpc).toBeCloseTo(theirs.val_loss / Math.LN2, 12);
    }
  });

  it("resumes Kiln's checkpoint at its step and learning rate, and trains on to --steps", () => {
    const r = spawn(PYTHON, [
      trainPy,
      '--text',
      text,
      '--steps',
      '30',
      '--resume',
      checkpoint,
      '--checkpoint',
      join(dir, 'ck.pt'),
    ]);
    const line = lastJson(r);
    expect(r.stderr).toContain('Resumed a Kiln checkpoint after step 20');
    expect(line.step).toBe(30);
    // The interval's first lr: the scheduler went on from step 20, not from 0.
    expect(line.lr).toBeCloseTo(WarmupCosineLR.lrAt(20, LR, SCHEDULE), 12);
    expect(Number.isFinite(line.train_loss)).toBe(true);
  });

  it("refuses a text of another vocabulary than the checkpoint's, and bad text files in one line", () => {
    const other = join(dir, 'other.txt');
    // As many characters, one of them another.
    writeFileSync(other, pangramText().replaceAll('z', 'Z'));
    const r = spawn(PYTHON, [trainPy, '--text', other, '--resume', checkpoint, '--eval-only']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `error: ${checkpoint} was trained on another vocabulary than ${other}'s: give the text it trained on`,
    );
    const files = {
      empty: '',
      binary: 'ab\0c',
      one: 'aaaa',
      short: 'abcdefghijklmnopqrstuvwxyz',
    };
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    const messages = JSON.parse(
      spawn(PYTHON, [
        '-c',
        `import importlib.util, json
spec = importlib.util.spec_from_file_location("train", ${JSON.stringify(trainPy)})
train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)
def fails(path):
    try:
        train.load_text(path, 13)
    except SystemExit as e:
        return str(e)
print(json.dumps([fails(p) for p in ${JSON.stringify(Object.keys(files).map((f) => join(dir, f)))}]))`,
      ]).stdout,
    );
    const at = (f: string) => join(dir, f);
    expect(messages).toEqual([
      `error: ${at('empty')} is empty: there is no text to train on`,
      `error: ${at('binary')} is a binary file, not text (a NUL byte at offset 2)`,
      `error: ${at('one')} holds one character only ("a"): there is nothing to learn`,
      `error: the block size (13) is longer than the validation text of ${at('short')} (3 characters, the last 10%): a block size of 2 or less, or a longer text`,
    ]);
  });
});
