/**
 * The layers of a character-level sequence model together, as nanoGPT stacks them without
 * attention: Embedding + PositionalEmbedding, LayerNorm, Linear over the last dim of [B, T, C],
 * and CrossEntropyLoss over every position. Shapes, state-dict keys, and every parameter's
 * gradient by finite differences (webgpu against cpu).
 */
import { afterEach, expect, test } from 'vitest';
import { gradcheck } from '../autograd/testing';
import { Embedding, PositionalEmbedding } from '../nn/embedding';
import { Linear } from '../nn/linear';
import { CrossEntropyLoss } from '../nn/loss';
import { Module } from '../nn/module';
import { LayerNorm } from '../nn/norm';
import type { Backend } from '../tensor/backend';
import { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { type Tensor, tidy } from '../tensor/tensor';
import { bothBackends, readAll } from '../tensor/testing';
import { Adam } from './adam';

const saved = getDefaultBackend();
afterEach(() => setDefaultBackend(saved));

class TinyLM extends Module {
  wte = new Embedding(5, 4);
  wpe = new PositionalEmbedding(4, 4);
  lnF = new LayerNorm(4);
  lmHead = new Linear(4, 5);

  forward(idx: Tensor): Tensor {
    return this.lmHead.forward(this.lnF.forward(this.wpe.forward(this.wte.forward(idx))));
  }
}

/** The model on backend b, the same weights on every backend. */
function tinyLM(b: Backend): TinyLM {
  manualSeed(3);
  setDefaultBackend(b);
  const m = new TinyLM();
  setDefaultBackend(saved);
  return m;
}

test('state-dict keys and shapes as nanoGPT names them', () => {
  expect([...tinyLM(saved).stateDict()].map(([k, t]) => [k, t.shape])).toEqual([
    ['wte.weight', [5, 4]],
    ['wpe.weight', [4, 4]],
    ['lnF.weight', [4]],
    ['lnF.bias', [4]],
    ['lmHead.weight', [5, 4]],
    ['lmHead.bias', [5]],
  ]);
});

const idx = (b: Backend) => ops.tensor(b, new Int32Array([0, 3, 3, 1, 4, 2]), [2, 3], 'int32');
const targets = (b: Backend) => ops.tensor(b, new Int32Array([3, 3, 1, 4, 2, 0]), [2, 3], 'int32');

test('logits [B, T, vocab] and a loss over every position; every gradient checks', async () => {
  const m = tinyLM(saved);
  expect(m.forward(idx(saved)).shape).toEqual([2, 3, 5]);
  await gradcheck('TinyLM', (b) => {
    const model = tinyLM(b);
    const loss = new CrossEntropyLoss();
    return {
      leaves: model.parameters(),
      forward: () => loss.forward(model.forward(idx(b)), targets(b)),
    };
  });
});

test("gradients computed straight into an optimizer's flat gradient buffer are the plain ones", async () => {
  for (const b of await bothBackends()) {
    const grads: Float32Array[][] = [];
    for (const flat of [false, true]) {
      const model = tinyLM(b);
      // Its zeroGrad() zeroes the flat buffer and lets the gradient rules write into it.
      if (flat) new Adam(model.parameters()).zeroGrad();
      tidy(() => new CrossEntropyLoss().forward(model.forward(idx(b)), targets(b)).backward());
      grads.push((await readAll(model.parameters().map((p) => p.grad!.alias(p.shape)))) as Float32Array[]);
    }
    grads[1].forEach((g, i) => {
      expect(Array.from(g), `${b.name} parameter ${i}`).toEqual(Array.from(grads[0][i]));
    });
  }
});
