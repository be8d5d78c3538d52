/**
 * TF.js's WASM backend as the bench starts it in Node (one thread): it trains, and the training
 * loop refuses to time it as another backend.
 */
import type { RawImageDataset } from 'kiln/datasets';
import { expect, test } from 'vitest';
import { benchTfjsTraining } from './suite';
import { tfjsWasm } from './tfjs-wasm';

test("TF.js WASM trains the row's model, and its training loop refuses a backend other than the row's", async () => {
  const t = await tfjsWasm();
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
  // On its own backend it trains, and times it.
  expect(await benchTfjsTraining(t.tf, 'wasm', raw, 1, 'simplenn', 2)).toBeGreaterThan(0);
});
