/**
 * Embedding and PositionalEmbedding as modules: PyTorch's state-dict keys and shapes, N(0, 1)
 * initialisation from the global generator, lookups against the weight read back, gradients by
 * finite differences (webgpu against cpu), and the block size enforced.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { F } from '../autograd';
import { gradcheck, leaf, normal } from '../autograd/testing';
import type { Backend } from '../tensor/backend';
import { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { tidy } from '../tensor/tensor';
import { assertClose, bothBackends, readAll } from '../tensor/testing';
import { Embedding, PositionalEmbedding } from './embedding';

const saved = getDefaultBackend();
afterEach(() => setDefaultBackend(saved));

/** A module made on backend b, the global generator seeded: the same weights on every backend. */
function on<M>(b: Backend, make: () => M): M {
  manualSeed(7);
  setDefaultBackend(b);
  try {
    return make();
  } finally {
    setDefaultBackend(saved);
  }
}

describe('Embedding', () => {
  test('state dict: weight [num_embeddings, embedding_dim], drawn N(0, 1), the same for a seed', async () => {
    manualSeed(1);
    const sd = await new Embedding(65, 32).stateDictData();
    expect([...sd].map(([k, t]) => [k, t.shape])).toEqual([['weight', [65, 32]]]);
    const w = Array.from(sd.get('weight')!.data);
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    manualSeed(1);
    expect(Array.from((await new Embedding(65, 32).stateDictData()).get('weight')!.data)).toEqual(w);
  });

  test('forward picks the weight rows for int32 indices [B, T], giving [B, T, dim]', async () => {
    for (const b of await bothBackends()) {
      const emb = on(b, () => new Embedding(7, 3));
      const indices = ops.tensor(b, new Int32Array([6, 0, 6, 2]), [2, 2], 'int32');
      const [y, w] = await readAll([emb.forward(indices), emb.weight.alias([7, 3])]);
      expect(emb.forward(indices).shape).toEqual([2, 2, 3]);
      expect(Array.from(y)).toEqual([6, 0, 6, 2].flatMap((r) => Array.from(w.slice(r * 3, r * 3 + 3))));
    }
  });

  test('gradients through the module, indices repeated', async () => {
    await gradcheck('Embedding', (b) => {
      const emb = on(b, () => new Embedding(6, 5));
      const indices = ops.tensor(b, new Int32Array([5, 1, 5, 5, 0, 1, 3]), [7], 'int32');
      return { leaves: [emb.weight], forward: () => F.sigmoid(emb.forward(indices)) };
    });
  });
});

describe('PositionalEmbedding', () => {
  test('state dict: weight [block_size, dim]; forward adds weight[:T] at every batch entry', async () => {
    const pe = new PositionalEmbedding(8, 4);
    expect([...pe.stateDict()].map(([k, t]) => [k, t.shape])).toEqual([['weight', [8, 4]]]);
    for (const b of await bothBackends()) {
      const m = on(b, () => new PositionalEmbedding(8, 4));
      const x = normal([2, 5, 4], 70);
      const [y, w] = await readAll(
        tidy(() => [m.forward(ops.tensor(b, x, [2, 5, 4])), m.weight.alias([32])]),
      );
      assertClose(
        y,
        Array.from(x, (v, i) => v + w[i % 20]),
        1e-6,
        1e-6,
        `${b.name} output`,
      );
    }
  });

  test('gradients for the input and the weight, with a sequence shorter than the block', async () => {
    await gradcheck('PositionalEmbedding', (b) => {
      const m = on(b, () => new PositionalEmbedding(6, 3));
      const x = leaf(b, normal([2, 4, 3], 71), [2, 4, 3]);
      return { leaves: [x, m.weight], forward: () => F.tanh(m.forward(x)) };
    });
  });

  test('a sequence longer than the block size, or of another width, is refused in one line', () => {
    const m = new PositionalEmbedding(4, 3);
    expect(() => m.forward(ops.full(getDefaultBackend(), [1, 5, 3], 0))).toThrow(
      /^PositionalEmbedding: cannot forward a sequence of length 5, the block size is only 4$/,
    );
    expect(() => m.forward(ops.full(getDefaultBackend(), [1, 4, 2], 0))).toThrow(/input \[\.\.\., T, 3\]/);
  });
});
