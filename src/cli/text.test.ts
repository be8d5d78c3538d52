/** `npm run train -- --dataset text` as a user runs it: a child process on a small text and a small GPT. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../train/checkpoint';
import { RECORD_SAMPLE_CHARS } from '../train/generate';
import { decodeSafetensors } from '../train/safetensors';
import { readEvent, readRecords } from '../train/testing';
import { jsonLines, spawnTrain } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'kiln-text-'));
const text = join(dir, 'words.txt');
// A text with structure to learn: words from a small set, so the loss falls within a few dozen steps.
const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'red', 'hat'];
let seed = 1;
const next = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed;
};
writeFileSync(text, Array.from({ length: 1500 }, () => WORDS[(next() >> 16) % WORDS.length]).join(' '));
const VOCAB = ' acdeghmnorst';

const GPT = [
  ...['--backend', 'cpu', '--dataset', 'text', '--text', text, '--model', 'gpt'],
  ...['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '8', '--batch-size', '8'],
  ...['--eval-every', '10', '--log-every', '5'],
  // The schedule's own length, not the run's: a run of 25 steps resumed to 30 keeps its checkpoint's.
  ...['--warmup-steps', '3', '--decay-steps', '30'],
];

describe('npm run train -- --dataset text', () => {
  it('trains a small GPT whose validation loss falls, and resumes it exactly with more steps', () => {
    const straight = join(dir, 'straight.safetensors');
    const checkpoint = join(dir, 'run.safetensors');
    const resumed = join(dir, 'resumed.safetensors');
    const r = spawnTrain(...GPT, '--steps', '30', '--json', '--save', straight);
    expect(r.status, r.stderr).toBe(0);
    const evals = jsonLines(r.stdout);
    expect(evals.map((l) => l.step)).toEqual([10, 20, 30]);
    for (const l of evals) {
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(['step', 'train_loss', 'val_loss', 'val_bpc', 'lr', 'tokens_per_s']),
      );
      expect(l.val_bpc).toBeCloseTo(l.val_loss / Math.LN2, 10);
    }
    expect(evals[2].val_loss).toBeLessThan(evals[0].val_loss);
    // 13 characters: the uniform guess is ln 13 = 2.56 nats; the words are learnt below it.
    expect(evals[2].val_loss).toBeLessThan(Math.log(13));
    expect(decodeSafetensors(new Uint8Array(readFileSync(straight))).metadata.vocab).toBe(VOCAB);

    // 25 steps (ending mid-interval, validated there), then resumed to 30 with the checkpoint's settings.
    const first = spawnTrain(...GPT, '--steps', '25', '--json', '--checkpoint', checkpoint);
    expect(first.status, first.stderr).toBe(0);
    expect(jsonLines(first.stdout).map((l) => l.step)).toEqual([10, 20, 25]);
    const ckpt = parseCheckpoint(new Uint8Array(readFileSync(checkpoint)));
    expect([ckpt.meta.globalStep, ckpt.meta.vocab]).toEqual([25, VOCAB]);
    const again = spawnTrain(
      ...['--backend', 'cpu', '--dataset', 'text', '--text', text, '--resume', checkpoint],
      ...['--steps', '30', '--json', '--save', resumed],
    );
    expect(again.status, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).map((l) => l.step)).toEqual([30]);
    expect(Buffer.compare(readFileSync(resumed), readFileSync(straight))).toBe(0);

    // --eval-only on the saved weights gives the last evaluation's loss, in one line.
    const evalOnly = spawnTrain(...GPT, '--init', straight, '--eval-only');
    expect(evalOnly.status, evalOnly.stderr).toBe(0);
    const [line] = jsonLines(evalOnly.stdout);
    expect(line.val_loss).toBeCloseTo(evals[2].val_loss, 6);
    expect(line.val_bpc).toBeCloseTo(evals[2].val_bpc, 6);
  }, 240_000);

  it("writes a sample of the model's text at each evaluation to the TensorBoard event file", () => {
    const logdir = join(dir, 'tb');
    const r = spawnTrain(...GPT, '--steps', '20', '--logdir', logdir);
    expect(r.status, r.stderr).toBe(0);
    const [file] = readdirSync(logdir);
    const events = readRecords(new Uint8Array(readFileSync(join(logdir, file)))).map(readEvent);
    const texts = events.flatMap((e) => e.texts.map((t) => ({ step: e.step, ...t })));
    expect(texts.map((t) => [t.step, t.tag, t.plugin, t.shape])).toEqual([
      [10n, 'samples/text_summary', 'text', [1]],
      [20n, 'samples/text_summary', 'text', [1]],
    ]);
    for (const t of texts) {
      // A Markdown code block of RECORD_SAMPLE_CHARS characters of the vocabulary (the text has no
      // newline: it starts from the vocabulary's first character, a space).
      const sample = t.strings[0].replace(/^ {4}/, '');
      expect([...sample]).toHaveLength(RECORD_SAMPLE_CHARS);
      expect([...sample].every((c) => VOCAB.includes(c))).toBe(true);
    }
  });
});
