/** Dawn's null backend, which `npm run bench:host` times the CPU side on: calls validate, nothing runs. */
import { expect, test } from 'vitest';
import * as ops from '../tensor/ops';
import { WebGPUBackend } from '../tensor/webgpu';
import { acquireNullGpu } from './node';

test('the null GPU records and submits launches, validates them, and runs none', async () => {
  const gpu = await acquireNullGpu();
  const b = new WebGPUBackend(gpu.device);
  const x = ops.full(b, [1000], 3);
  const y = ops.binary('add', x, x);
  // Nothing ran (a run would give 6 everywhere), and no validation error was raised.
  expect(Array.from(await y.data()).every((v) => v === 6)).toBe(false);
  expect(b.dispatches).toBe(2);
  expect(b.submissions).toBeGreaterThan(0);
});
