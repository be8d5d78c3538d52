/**
 * Refusals that name the problem: a damaged --init or --resume file names the flag and the file, a
 * resumed checkpoint with NaN weights names the tensor and one with a negative BatchNorm eps the
 * layer and field, all before any training; a stray CSV label names its line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../train/safetensors';
import { runCli } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'kiln-messages-'));
const file = (name: string) => join(dir, name);
const DATA = ['--backend', 'cpu', '--dataset', 'synthetic', '--limit', '64', '--batch-size', '32'];
const MODEL = ['--model', 'linear:4,bn,relu,linear:2'];

beforeAll(async () => {
  const made = await runCli(
    ...DATA,
    ...MODEL,
    '--epochs',
    '1',
    '--checkpoint',
    file('run.safetensors'),
    '--save',
    file('sd.safetensors'),
  );
  expect(made.code, made.stderr.join('\n')).toBe(0);
  const bytes = new Uint8Array(readFileSync(file('run.safetensors')));
  writeFileSync(file('truncated.safetensors'), bytes.subarray(0, bytes.length - 7));
  const ckpt = decodeSafetensors(bytes);
  const meta = JSON.parse(ckpt.metadata['kiln.checkpoint']);
  const w = ckpt.tensors['model.0.weight'];
  const nan = { ...w, data: Float32Array.from(w.data as Float32Array, (v, i) => (i === 2 ? Number.NaN : v)) };
  writeFileSync(
    file('nan.safetensors'),
    encodeSafetensors({ ...ckpt.tensors, 'model.0.weight': nan }, ckpt.metadata),
  );
  const layers = meta.spec.layers.map((l: { type: string }) =>
    l.type === 'BatchNorm1d' ? { ...l, eps: -1 } : l,
  );
  writeFileSync(
    file('eps.safetensors'),
    encodeSafetensors(ckpt.tensors, {
      'kiln.checkpoint': JSON.stringify({ ...meta, spec: { ...meta.spec, layers } }),
    }),
  );
  const sd = decodeSafetensors(new Uint8Array(readFileSync(file('sd.safetensors'))));
  writeFileSync(
    file('sd-nan.safetensors'),
    encodeSafetensors({ ...sd.tensors, '0.weight': { ...nan, dtype: 'F32' } }),
  );
});

describe('messages that name the problem', () => {
  const resume = (name: string) => [
    '--backend',
    'cpu',
    '--dataset',
    'synthetic',
    '--resume',
    file(name),
    '--epochs',
    '3',
  ];
  it.each([
    [
      'a truncated --init',
      () => [...DATA, ...MODEL, '--init', file('truncated.safetensors')],
      /^error: --init \S+truncated\.safetensors: \S/,
    ],
    [
      'a truncated --resume',
      () => resume('truncated.safetensors'),
      /^error: --resume \S+truncated\.safetensors: \S/,
    ],
    [
      'a resumed checkpoint with a NaN weight',
      () => resume('nan.safetensors'),
      /^error: --resume \S+nan\.safetensors: model tensor 0\.weight holds NaN at index 2: its values are damaged$/,
    ],
    [
      'an --init state dict with a NaN weight',
      () => [...DATA, ...MODEL, '--init', file('sd-nan.safetensors')],
      /^error: --init \S+sd-nan\.safetensors: model tensor 0\.weight holds NaN at index 2/,
    ],
    [
      'a resumed checkpoint with a negative BatchNorm eps',
      () => resume('eps.safetensors'),
      /^error: --resume \S+eps\.safetensors: .*layer 1 \(BatchNorm1d\): eps must be > 0, got -1$/,
    ],
  ])('%s is refused before training', async (_, argv, pattern) => {
    const r = await runCli(...argv());
    const errors = r.stderr.filter((l) => l.startsWith('error: '));
    expect(errors, r.stderr.join('\n')).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
    expect(r.stderr.join('\n')).not.toMatch(/epoch \d+:/);
    expect(r.code).toBeGreaterThan(0);
  });
});
