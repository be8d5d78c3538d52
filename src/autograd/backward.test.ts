/**
 * Where backward() puts gradients: into an existing `.grad` in place (the same tensor, the same
 * storage), straight from the gradient rule when the `.grad` is marked as holding zeros (no launch
 * to add it), and never into storage another tensor outlives the call with. On both backends.
 */
import { describe, expect, test } from 'vitest';
import type { Backend, KernelCall } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { tidy } from '../tensor/tensor';
import { assertClose, bothBackends } from '../tensor/testing';
import { F, markGradsZero } from './index';
import { leaf, normal } from './testing';

/** Counts every launch on b from now on. */
function launches(b: Backend): { count: number } {
  const counter = { count: 0 };
  const run = b.run.bind(b);
  b.run = (call: KernelCall) => {
    counter.count++;
    run(call);
  };
  return counter;
}

/** A linear layer's weight and bias as leaves, and a backward() through it. */
function linearCase(b: Backend) {
  const x = ops.tensor(b, normal([3, 4], 1), [3, 4]);
  const w = leaf(b, normal([5, 4], 2), [5, 4]);
  const v = leaf(b, normal([5], 3), [5]);
  const backward = () => tidy(() => F.sum(F.linear(x, w, v)).backward());
  const grads = async () => [(await w.grad!.data()).slice(), (await v.grad!.data()).slice()];
  return { w, v, backward, grads };
}

const twice = (g: ArrayLike<number>) => Array.from(g, (x) => 2 * x);

describe('backward() and an existing .grad', () => {
  test('adds into it in place: the same tensor and storage, the sum of both gradients', async () => {
    for (const b of await bothBackends()) {
      const { w, v, backward, grads } = linearCase(b);
      backward();
      const first = await grads();
      const [gw, gv] = [w.grad!, v.grad!];
      const [sw, sv] = [gw.storage, gv.storage];
      backward();
      expect(w.grad).toBe(gw);
      expect(v.grad).toBe(gv);
      expect(w.grad!.storage).toBe(sw);
      expect(v.grad!.storage).toBe(sv);
      const now = await grads();
      assertClose(now[0], twice(first[0]), 1e-6, 1e-6, `w on ${b.name}`);
      assertClose(now[1], twice(first[1]), 1e-6, 1e-6, `v on ${b.name}`);
    }
  });

  test('marked as zeros, it receives the rule output directly: no launch beyond a first backward()', async () => {
    for (const b of await bothBackends()) {
      const { w, v, backward, grads } = linearCase(b);
      // The first backward() on a backend also makes its seed: count the second.
      backward();
      for (const t of [w, v]) {
        t.grad?.dispose();
        t.grad = null;
      }
      const counter = launches(b);
      backward();
      const fresh = counter.count;
      const want = await grads();
      // Someone zeroes the gradients in place (here: any values, then zeros) and says so.
      for (const g of [w.grad!, v.grad!]) ops.copyInto(g, ops.full(b, g.shape, 0));
      markGradsZero([w, v]);
      const [gw, gv] = [w.grad!, v.grad!];
      counter.count = 0;
      backward();
      expect(counter.count).toBe(fresh);
      expect(w.grad).toBe(gw);
      expect(v.grad).toBe(gv);
      const direct = await grads();
      assertClose(direct[0], want[0], 0, 0, `w on ${b.name}`);
      assertClose(direct[1], want[1], 0, 0, `v on ${b.name}`);
      // The mark is spent: the next backward() adds again.
      backward();
      assertClose((await grads())[0], twice(want[0]), 1e-6, 1e-6, `w again on ${b.name}`);
    }
  });

  test('a gradient shared by two leaves, or the seed, is copied, so adding into one .grad leaves the rest', async () => {
    for (const b of await bothBackends()) {
      const a = leaf(b, [1, 2, 3], [3]);
      const c = leaf(b, [4, 5, 6], [3]);
      const s = leaf(b, [7], []);
      for (let i = 0; i < 2; i++) {
        // d(a + c)/da and d(a + c)/dc are the same tensor; s.backward() starts from the seed.
        tidy(() => F.sum(F.add(a, c)).backward());
        tidy(() => s.backward());
      }
      expect(a.grad!.storage).not.toBe(c.grad!.storage);
      assertClose(await a.grad!.data(), [2, 2, 2], 0, 0, `a on ${b.name}`);
      assertClose(await c.grad!.data(), [2, 2, 2], 0, 0, `c on ${b.name}`);
      assertClose(await s.grad!.data(), [2], 0, 0, `s on ${b.name}`);
      const t = leaf(b, [1], []);
      tidy(() => t.backward());
      assertClose(await t.grad!.data(), [1], 0, 0, `the seed on ${b.name}`);
    }
  });
});
