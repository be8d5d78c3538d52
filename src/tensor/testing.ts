/**
 * Test helpers: every backend (cpu, webgpu on Dawn in Node, wasm), seeded random tensors and an
 * allclose that never lets NaN pass.
 */
import { acquireNodeGpu } from '../gpu/node';
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import { tensor } from './ops';
import { Generator } from './random';
import { type Tensor, type TypedArray, tidy } from './tensor';
import { WasmBackend } from './wasm';
import { WebGPUBackend } from './webgpu';

let gpuBackend: Promise<WebGPUBackend> | undefined;

/** The process-wide WebGPU backend on Dawn; fails (never skips) when there is no adapter. */
export function webgpuBackend(): Promise<WebGPUBackend> {
  gpuBackend ??= acquireNodeGpu().then((g) => new WebGPUBackend(g.device, { subgroups: g.subgroups }));
  return gpuBackend;
}

let wasm: Promise<WasmBackend> | undefined;

/** The process-wide wasm backend. */
export function wasmBackend(): Promise<WasmBackend> {
  wasm ??= WasmBackend.create();
  return wasm;
}

/**
 * Every backend, cpu first (the reference), then webgpu, then wasm: a test that loops over them
 * checks each, and one that takes `[cpu, gpu]` checks the GPU against the reference.
 */
export async function bothBackends(): Promise<Backend[]> {
  return [new CpuBackend(), await webgpuBackend(), await wasmBackend()];
}

/** A seeded tensor of standard-normal values (times `scale`). */
export function randn(backend: Backend, shape: number[], seed = 0, scale = 1): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    backend,
    Float32Array.from({ length: n }, () => g.normal() * scale),
    shape,
  );
}

/** Host values of a seeded standard-normal tensor (same values as randn with the same seed). */
export function randnValues(n: number, seed = 0, scale = 1): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => g.normal() * scale);
}

/** Throws unless every |a - b| <= atol + rtol * |b|; NaN or Infinity anywhere fails unless both match. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-4,
  atol = 1e-5,
  what = 'values',
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const [a, b] = [actual[i], expected[i]];
    if (Number.isNaN(a) || Number.isNaN(b))
      throw new Error(`${what}[${i}]: NaN (actual ${a}, expected ${b})`);
    if (a === b) continue;
    if (!Number.isFinite(a) || !Number.isFinite(b) || Math.abs(a - b) > atol + rtol * Math.abs(b)) {
      throw new Error(`${what}[${i}]: ${a} vs expected ${b} (|diff| ${Math.abs(a - b)})`);
    }
  }
}

/** Reads every tensor back, then disposes them. */
export async function readAll(ts: Tensor | Tensor[]): Promise<TypedArray[]> {
  const list = Array.isArray(ts) ? ts : [ts];
  const out: TypedArray[] = [];
  for (const t of list) out.push(await t.data());
  for (const t of list) t.dispose();
  return out;
}

/**
 * Builds the same computation on the cpu backend (the reference) and on every other backend
 * (webgpu, wasm) and checks that every returned tensor agrees in shape and values. Returns the cpu
 * values, for known-value checks.
 */
export async function compareBackends(
  build: (b: Backend) => Tensor | Tensor[],
  rtol = 1e-4,
  atol = 1e-5,
  what = 'values',
): Promise<TypedArray[]> {
  const [cpu, ...others] = await bothBackends();
  const run = async (b: Backend) => {
    const ts = tidy(() => build(b));
    const list = Array.isArray(ts) ? ts : [ts];
    const shapes = list.map((t) => Int32Array.from(t.shape));
    return { values: await readAll(list), shapes };
  };
  const want = await run(cpu);
  for (const b of others) {
    const got = (await run(b)).values;
    want.values.forEach((w, i) => {
      if (w.length !== got[i].length)
        throw new Error(
          `${what}[${i}]: ${got[i].length} values on ${b.name}, ${w.length} on cpu (shape [${want.shapes[i]}])`,
        );
      assertClose(got[i], w, rtol, atol, `${what}[${i}] (${b.name} vs cpu)`);
    });
  }
  return want.values;
}
