/**
 * Workgroup reductions (shaders/lanes.wgsl and lanes_subgroups.wgsl) against the cpu backend:
 * every kernel that reduces across a workgroup (log-softmax, cross-entropy, batch norm's statistics
 * and backward sums, layer norm's rows and columns), once on the tree in workgroup memory and once
 * on subgroup operations where this adapter has them, at sizes that leave workgroups and subgroups
 * partly filled.
 */
import { expect, test } from 'vitest';
import { acquireNodeGpu } from '../gpu/node';
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import * as ops from './ops';
import { type Tensor, tidy } from './tensor';
import { assertClose, randn, randnValues, readAll } from './testing';
import { WebGPUBackend } from './webgpu';

/** Every workgroup-reducing kernel on backend b. */
function reductions(b: Backend): Tensor[] {
  const out: Tensor[] = [];
  // Rows of 300 and 37: wide enough for 64 invocations per row, 37 leaving most of them idle.
  for (const [rows, cols] of [
    [5, 300],
    [3, 37],
  ]) {
    const x = randn(b, [rows, cols], 1, 3);
    const y = ops.logSoftmax(x);
    out.push(y, ops.logSoftmaxBackward(y, randn(b, [rows, cols], 2)));
    const labels = ops.tensor(
      b,
      Int32Array.from(randnValues(rows, 3), (v) => Math.floor(Math.abs(v) * 100) % cols),
    );
    out.push(ops.crossEntropyBackward(x, labels, ops.tensor(b, [0.5], []), 0.1, 1 / rows));
  }
  // 300 rows: more than the loss kernel's 64 invocations.
  const logits = randn(b, [300, 10], 4, 2);
  const labels = ops.tensor(
    b,
    Int32Array.from({ length: 300 }, (_, i) => (i * 7) % 10),
  );
  out.push(ops.crossEntropy(logits, labels, 0, 1 / 300));
  // Batch norm with 3 * 99 values per channel (more than 256 invocations) and 6 (fewer).
  for (const shape of [
    [3, 4, 9, 11],
    [6, 5],
  ]) {
    const C = shape[1];
    const x = randn(b, shape, 5, 2);
    const [mean, variance] = [ops.full(b, [C], 0), ops.full(b, [C], 1)];
    const stats = ops.batchNormStats(x, mean, variance, { training: true, momentum: 0.1, eps: 1e-5 });
    const weight = randn(b, [C], 6);
    const { dx, dweight, dbias } = ops.batchNormBackward(randn(b, shape, 7), x, stats, weight, true, true);
    out.push(stats, mean, variance, dx!, dweight, dbias);
  }
  // Layer norm: rows of 300 and 37 (a workgroup each), and 300 rows per column's workgroup.
  for (const shape of [
    [3, 300],
    [300, 37],
  ]) {
    const x = randn(b, shape, 8, 2);
    const weight = randn(b, [shape[1]], 9);
    const { out: y, stats } = ops.layerNorm(x, weight, randn(b, [shape[1]], 10), 1e-5);
    const want = { input: true, weight: true, bias: true };
    const { dx, dweight, dbias } = ops.layerNormBackward(randn(b, shape, 11), x, stats, weight, want);
    out.push(y, stats, dx!, dweight!, dbias!);
  }
  return out;
}

test('workgroup reductions match cpu with and without subgroups', async () => {
  const gpu = await acquireNodeGpu();
  const want = await readAll(tidy(() => reductions(new CpuBackend())));
  const paths = gpu.subgroups ? [false, true] : [false];
  for (const subgroups of paths) {
    const b = new WebGPUBackend(gpu.device, { subgroups });
    expect(b.subgroups).toBe(subgroups);
    const got = await readAll(tidy(() => reductions(b)));
    got.forEach((g, i) => {
      assertClose(g, want[i], 1e-4, 1e-5, `result ${i} (subgroups: ${subgroups})`);
    });
  }
  // Where the adapter has subgroups (lavapipe and SwiftShader both do), both paths ran above.
  console.log(`workgroup reductions checked with subgroups: ${paths.join(', ')}`);
});
