/**
 * TF.js's WASM backend as the bench starts it in Node: on one thread (the SIMD build) and on two
 * (the threaded build, which needs bench/tfjs-wasm.ts's help there), both computing the same
 * product, here and bundled as `npm run bench` runs it; and the training loop refuses to time it
 * as another backend.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawImageDataset } from 'kiln/datasets';
import { expect, test } from 'vitest';
import { benchTfjsTraining } from './suite';
import { tfjsWasm } from './tfjs-wasm';

/** A product of awkward sizes on the backend that tfjsWasm(threads) starts, and its threads. */
async function product(threads: number): Promise<{ values: number[]; threads: number }> {
  const t = await tfjsWasm(threads);
  if ('missing' in t) throw new Error(t.missing);
  const { tf } = t;
  const a = tf.tensor2d(
    Float32Array.from({ length: 67 * 131 }, (_, i) => Math.sin(i)),
    [67, 131],
  );
  const b = tf.tensor2d(
    Float32Array.from({ length: 131 * 45 }, (_, i) => Math.cos(i)),
    [131, 45],
  );
  const c = tf.matMul(a, b);
  const values = Array.from(await c.data());
  tf.dispose([a, b, c]);
  return { values, threads: t.threads };
}

test('TF.js WASM starts on one thread and on two in Node, and both agree', async () => {
  const one = await product(1);
  const two = await product(2);
  expect(one.threads).toBe(1);
  expect(two.threads).toBe(2);
  expect(two.values).toEqual(one.values);
});

test('and so it does bundled by esbuild, as the bench runs', () => {
  // The bundle renames what the threaded build's workers must define (esbuild's __require).
  const dir = mkdtempSync(join(tmpdir(), 'kiln-tfjs-wasm-test-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { tfjsWasm } from ${JSON.stringify(join(import.meta.dirname, 'tfjs-wasm.ts'))};
const t = await tfjsWasm(2);
console.log('missing' in t ? t.missing : t.threads);
process.exit(0);`,
    );
    const r = spawnSync('node', ['scripts/run-node.mjs', entry], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("TF.js's training loop refuses a backend other than the row's", async () => {
  const t = await tfjsWasm(1);
  if ('missing' in t) throw new Error(t.missing);
  const raw: RawImageDataset = {
    kind: 'image',
    name: 'one blank image',
    images: new Uint8Array(784),
    labels: new Uint8Array(1),
    count: 1,
    rows: 28,
    cols: 28,
    channels: 1,
    numClasses: 10,
  };
  await expect(benchTfjsTraining(t.tf, 'webgpu', raw, 1, 'simplenn', 1)).rejects.toThrow(
    'TF.js is on wasm, not webgpu',
  );
});
