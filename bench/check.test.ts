import { expect, test } from 'vitest';
import { CpuBackend } from '../src/tensor/cpu';
import { wasmBackend, webgpuBackend } from '../src/tensor/testing';
import { kernelCheck } from './check';

test("bench.html's kernel check passes on Dawn, and catches a wrong gradient", async () => {
  const gpu = await webgpuBackend();
  const rows = await kernelCheck(gpu, new CpuBackend());
  expect(rows.length).toBeGreaterThan(20);
  expect(rows.filter((r) => !r.ok)).toEqual([]);
  // The rule bites: the cpu against itself with one gradient off is caught.
  const cpu = new CpuBackend();
  const broken = Object.create(cpu) as CpuBackend;
  broken.read = async (s, bytes) => {
    const data = await cpu.read(s, bytes);
    const f = new Float32Array(data);
    if (f.length === 13) f[0] += 1;
    return data;
  };
  const caught = await kernelCheck(broken, cpu);
  expect(caught.some((r) => !r.ok)).toBe(true);
});

test("bench.html?check=wasm's kernel check passes on the wasm backend", async () => {
  const rows = await kernelCheck(await wasmBackend(), new CpuBackend());
  expect(rows.length).toBeGreaterThan(20);
  expect(rows.filter((r) => !r.ok)).toEqual([]);
});
