/**
 * CausalSelfAttention: its output against attention written out in plain loops (mask included),
 * on both backends; causality; unbatched inputs; nanoGPT's state-dict keys; dropout only in
 * training; gradients of the whole forward by finite differences and webgpu against cpu.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { noGrad } from '../autograd';
import { gradcheck, leaf, normal } from '../autograd/testing';
import type { Backend } from '../tensor/backend';
import { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { assertClose, bothBackends, readAll } from '../tensor/testing';
import { CausalSelfAttention, type CausalSelfAttentionOptions } from './attention';

const saved = getDefaultBackend();
afterEach(() => setDefaultBackend(saved));

/** A module on backend b with seeded parameters (the same on every backend). */
function attention(b: Backend, C: number, H: number, opts: CausalSelfAttentionOptions = {}) {
  setDefaultBackend(b);
  manualSeed(5);
  const m = new CausalSelfAttention(C, H, opts);
  setDefaultBackend(saved);
  return m;
}

/** nanoGPT's CausalSelfAttention.forward in loops, from x [B, T, C] and the state dict's values. */
function reference(
  x: ArrayLike<number>,
  [B, T, C]: number[],
  H: number,
  sd: Map<string, { data: ArrayLike<number> }>,
): number[] {
  const [wa, ba, wp, bp] = ['c_attn.weight', 'c_attn.bias', 'c_proj.weight', 'c_proj.bias'].map(
    (k) => sd.get(k)!.data,
  );
  const hs = C / H;
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const qkv = Array.from({ length: T }, (_, t) =>
      Array.from({ length: 3 * C }, (_, o) => {
        let s = ba[o];
        for (let c = 0; c < C; c++) s += x[(b * T + t) * C + c] * wa[o * C + c];
        return s;
      }),
    );
    const y = Array.from({ length: T }, () => new Array<number>(C).fill(0));
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const scores = Array.from({ length: T }, (_, s) => {
          if (s > t) return Number.NEGATIVE_INFINITY;
          let dot = 0;
          for (let d = 0; d < hs; d++) dot += qkv[t][h * hs + d] * qkv[s][C + h * hs + d];
          return dot / Math.sqrt(hs);
        });
        const m = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - m));
        const sum = e.reduce((a, c) => a + c, 0);
        for (let s = 0; s < T; s++)
          for (let d = 0; d < hs; d++) y[t][h * hs + d] += (e[s] / sum) * qkv[s][2 * C + h * hs + d];
      }
    for (let t = 0; t < T; t++)
      for (let o = 0; o < C; o++) {
        let s = bp[o];
        for (let c = 0; c < C; c++) s += y[t][c] * wp[o * C + c];
        out.push(s);
      }
  }
  return out;
}

describe('CausalSelfAttention', () => {
  for (const [shape, H] of [
    [[2, 5, 6], 2],
    [[1, 13, 15], 3],
    [[3, 4, 5], 1],
  ] as const) {
    test(`[${shape}] with ${H} heads matches attention written in loops, on both backends`, async () => {
      for (const b of await bothBackends()) {
        const m = attention(b, shape[2], H);
        const x = normal([...shape], 60);
        const [y] = await readAll(m.forward(ops.tensor(b, x, shape)));
        assertClose(y, reference(x, [...shape], H, await m.stateDictData()), 1e-4, 1e-5, `${b.name} output`);
      }
    });
  }

  test('position t sees positions 0..t only; an unbatched [T, C] input is one sequence', async () => {
    const [T, C] = [6, 4];
    for (const b of await bothBackends()) {
      const m = attention(b, C, 2);
      const x = normal([2, T, C], 61);
      const later = Float32Array.from(x);
      for (let i = (T - 1) * C; i < T * C; i++) later[i] += 3;
      const [y, y2, single] = await readAll([
        m.forward(ops.tensor(b, x, [2, T, C])),
        m.forward(ops.tensor(b, later, [2, T, C])),
        m.forward(ops.tensor(b, x.subarray(0, T * C), [T, C])),
      ]);
      expect(Array.from(y2.subarray(0, (T - 1) * C))).toEqual(Array.from(y.subarray(0, (T - 1) * C)));
      expect(Array.from(y2.subarray((T - 1) * C, T * C))).not.toEqual(
        Array.from(y.subarray((T - 1) * C, T * C)),
      );
      expect(Array.from(y2.subarray(T * C))).toEqual(Array.from(y.subarray(T * C)));
      assertClose(single, y.subarray(0, T * C), 1e-6, 1e-7, `${b.name} unbatched`);
    }
  });

  test("state-dict keys and shapes are nanoGPT's", async () => {
    const shapes = (m: CausalSelfAttention) => [...m.stateDict()].map(([k, t]) => `${k} [${t.shape}]`);
    expect(shapes(new CausalSelfAttention(6, 2))).toEqual([
      'c_attn.weight [18,6]',
      'c_attn.bias [18]',
      'c_proj.weight [6,6]',
      'c_proj.bias [6]',
    ]);
    expect(shapes(new CausalSelfAttention(6, 3, { bias: false }))).toEqual([
      'c_attn.weight [18,6]',
      'c_proj.weight [6,6]',
    ]);
  });

  test('refuses heads that do not divide the embedding, and inputs of another width, in one line', () => {
    expect(() => new CausalSelfAttention(10, 3)).toThrow(
      /^embedDim \(10\) must be divisible by numHeads \(3\)$/,
    );
    const m = new CausalSelfAttention(6, 2);
    expect(() => m.forward(ops.full(getDefaultBackend(), [2, 3, 5], 0))).toThrow(
      /^CausalSelfAttention\(6\) expects input \[B, T, 6\] or \[T, 6\], got \[2,3,5\]$/,
    );
  });

  test('dropout acts in training only', async () => {
    const [cpu] = await bothBackends();
    const [plain, dropped] = [attention(cpu, 6, 2), attention(cpu, 6, 2, { dropout: 0.5 })];
    const x = ops.tensor(cpu, normal([2, 5, 6], 62), [2, 5, 6]);
    const [want, train, evaluated] = await readAll(
      noGrad(() => [plain.forward(x), dropped.forward(x), dropped.eval().forward(x)]),
    );
    expect(Array.from(train)).not.toEqual(Array.from(want));
    expect(Array.from(evaluated)).toEqual(Array.from(want));
  });

  for (const [shape, H] of [
    [[2, 7, 15], 3],
    [[2, 7, 5], 1],
  ] as const) {
    test(`gradients of the input and every parameter, [${shape}] with ${H} heads`, async () => {
      await gradcheck(`CausalSelfAttention [${shape}] / ${H}`, (b) => {
        const m = attention(b, shape[2], H);
        const x = leaf(b, normal([...shape], 63), [...shape]);
        return { leaves: [x, ...m.parameters()], forward: () => m.forward(x) };
      });
    });
  }
});
