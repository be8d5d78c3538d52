/**
 * The model space from the command line: a checkpoint written before models became trees resumes,
 * and a transformer (the preset, and one written in the --model grammar with blocks) trains.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines, ROOT, spawnTrain } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'kiln-models-'));

describe('models beyond a stack', () => {
  it('resumes a checkpoint Kiln wrote before the layer tree (2c298a2: an MLP with BatchNorm and Dropout)', () => {
    const old = join(dir, 'old.safetensors');
    copyFileSync(join(ROOT, 'src/train/fixtures/checkpoint-before-tree.safetensors'), old);
    const r = spawnTrain(
      '--resume',
      old,
      '--epochs',
      '2',
      '--json',
      '--save',
      join(dir, 'resumed.safetensors'),
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const [line] = jsonLines(r.stdout);
    expect(line.epoch).toBe(2);
    expect(line.val_acc).toBeGreaterThan(0.1);
  });

  it('trains the transformer preset and a --model with residual and repeat blocks, the loss falling', () => {
    const grammar =
      'rows=flatten:1:2,embed=linear:32,wpe=posembed,h=repeat:2(residual(ln_1=layernorm,attn=attn:4),residual(ln_2=layernorm,linear:64,gelu,linear:32)),ln_f=layernorm,flatten,head=linear:10';
    for (const model of ['transformer', grammar]) {
      const r = spawnTrain(
        '--model',
        model,
        '--limit',
        '256',
        '--val-split',
        '64',
        '--epochs',
        '2',
        '--json',
      );
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.status).toBe(0);
      const [first, second] = jsonLines(r.stdout);
      expect(second.train_loss).toBeLessThan(first.train_loss);
      expect(Number.isFinite(second.train_loss)).toBe(true);
    }
  });
});
