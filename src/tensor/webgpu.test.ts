import { describe, expect, test } from 'vitest';
import * as ops from './ops';
import type { Tensor } from './tensor';
import { webgpuBackend } from './testing';
import { WebGPUBackend } from './webgpu';

/** A backend of its own on the shared device, so that its memory counts start at zero. */
async function freshBackend(opts: { poolBytes?: number; cacheEntries?: number }): Promise<WebGPUBackend> {
  const shared = await webgpuBackend();
  return new WebGPUBackend(shared.device, { subgroups: shared.subgroups, ...opts });
}

/** Element counts of many sizes, most of them in a size class of their own. */
const sizes = Array.from({ length: 60 }, (_, i) => 1 + ((i * 977) % 6000));

describe('webgpu backend memory', () => {
  test('the pool stays under its cap while many sizes come and go, and bytes in use return to zero', async () => {
    const cap = 64 * 1024;
    const b = await freshBackend({ poolBytes: cap });
    const kept: [Tensor, number][] = [];
    for (const [i, n] of sizes.entries()) {
      // Freed within the step that used them: the pool drops them while commands that use them
      // are still unsubmitted, and must not destroy them before the submission.
      const x = ops.full(b, [n], i);
      const y = ops.unary('affine', x, 2, 1);
      const z = ops.binary('add', y, x);
      x.dispose();
      y.dispose();
      if (i % 10 === 9) kept.push([z, 3 * i + 1]);
      else z.dispose();
      expect(b.memory().bytesPooled).toBeLessThanOrEqual(cap);
      if (i % 20 === 19) b.flush();
    }
    for (const [z, value] of kept) {
      const got = await z.data();
      expect([got[0], got[got.length - 1]]).toEqual([value, value]);
      z.dispose();
    }
    const m = b.memory();
    expect(m.bytesInUse).toBe(0);
    expect(m.bytesPooled).toBeGreaterThan(0);
    expect(m.bytesPooled).toBeLessThanOrEqual(cap);
    b.dispose();
  });

  test('a step that repeats its shapes reuses the pooled buffers', async () => {
    const b = await freshBackend({});
    const step = () => {
      const ts = [ops.full(b, [1000], 2), ops.full(b, [1000], 3)];
      ts.push(ops.binary('mul', ts[0], ts[1]));
      for (const t of ts) t.dispose();
    };
    step();
    const held = b.memory();
    expect(held).toEqual({ bytesInUse: 0, bytesPooled: 3 * 4096, buffers: 3 });
    for (let i = 0; i < 5; i++) step();
    expect(b.memory()).toEqual(held);
    b.dispose();
  });

  test('the uniform and bind group caches stay bounded, and uniforms in unsubmitted commands live', async () => {
    const b = await freshBackend({ cacheEntries: 8 });
    // Forty launches with params of their own in one submission: the caches drop uniforms the
    // recorded commands still read, which must survive until they are submitted.
    const ts = sizes.slice(0, 40).map((n, i) => ops.full(b, [n], i));
    expect(b.cached.uniforms).toBeLessThanOrEqual(8);
    expect(b.cached.bindGroups).toBeLessThanOrEqual(8);
    for (const [i, t] of ts.entries()) {
      const got = await t.data();
      expect([got[0], got[got.length - 1]]).toEqual([i, i]);
      t.dispose();
    }
    b.dispose();
  });

  test('trim empties the pool and caches; dispose releases everything and ends the backend', async () => {
    const b = await freshBackend({});
    const live = ops.full(b, [300], 1);
    ops.full(b, [5000], 2).dispose();
    expect(b.memory().bytesPooled).toBeGreaterThan(0);
    b.trim();
    // The live tensor's 1200 bytes, in a 2048-byte size class.
    expect(b.memory()).toEqual({ bytesInUse: 2048, bytesPooled: 0, buffers: 1 });
    expect(b.cached).toEqual({ uniforms: 0, bindGroups: 0 });
    expect(Array.from(await live.data()).every((v) => v === 1)).toBe(true);
    b.dispose();
    expect(b.memory()).toEqual({ bytesInUse: 0, bytesPooled: 0, buffers: 0 });
    expect(() => b.alloc(16)).toThrow(/disposed/);
    // Tensors freed after their backend are no error.
    live.dispose();
  });
});

describe('webgpu backend profiling', () => {
  test('times each kernel by label, and dispose frees its query set', async () => {
    const b = await freshBackend({});
    if (!b.device.features.has('timestamp-query'))
      return expect(() => b.startProfiling()).toThrow(/timestamp-query/);
    b.startProfiling();
    const x = ops.full(b, [1000], 1);
    ops.unary('affine', x, 2, 1).dispose();
    ops.unary('affine', x, 2, 1).dispose();
    x.dispose();
    const kernels = await b.profile();
    // Labels are the kernel and its constants: one fill, then the two affine maps as one entry.
    expect(kernels.map((k) => [k.label.split(' ')[0], k.calls]).sort()).toEqual([
      ['fill', 1],
      ['unary', 2],
    ]);
    // Durations only: timestamps may be quantised to 0 on some adapters.
    expect(kernels.every((k) => Number.isFinite(k.ns) && k.ns >= 0)).toBe(true);
    b.dispose();
    expect(() => b.startProfiling()).toThrow(/disposed/);
  });
});

describe('webgpu backend errors', () => {
  test("a GPU error nobody captured fails the backend's next call; a disposed backend stops listening to its device", async () => {
    const [a, b] = [await freshBackend({}), await freshBackend({})];
    a.dispose();
    // A buffer without usage flags is a validation error outside any error scope.
    b.device.createBuffer({ size: 4, usage: 0 });
    await b.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => ops.full(b, [4], 1)).toThrow(/^GPU error: /);
    // Reported once: the backend goes on.
    expect(Array.from(await ops.full(b, [2], 3).data())).toEqual([3, 3]);
    b.dispose();
    // Many backends made and disposed on one device leave no listeners behind (Node warned past 10).
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    for (let i = 0; i < 12; i++) (await freshBackend({})).dispose();
    await new Promise((r) => setTimeout(r, 10));
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
