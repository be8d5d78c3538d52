/**
 * Test helpers: both backends (cpu, and webgpu on Dawn in Node), seeded random tensors and an
 * allclose that never lets NaN pass.
 */
import { acquireNodeGpu } from '../gpu/node';
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import { tensor } from './ops';
import { Generator } from './random';
import { type Tensor, type TypedArray, tidy } from './tensor';
import { WebGPUBackend } from './webgpu';

let gpuBackend: Promise<WebGPUBackend> | undefined;

/** The process-wide WebGPU backend on Dawn; fails (never skips) when there is no adapter. */
export function webgpuBackend(): Promise<WebGPUBackend> {
  gpuBackend ??= acquireNodeGpu().then((g) => new WebGPUBackend(g.device, { subgroups: g.subgroups }));
  return gpuBackend;
}

/** Both backends, cpu first (the reference). */
export async function bothBackends(): Promise<Backend[]> {
  return [new CpuBackend(), await webgpuBackend()];
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
 * Builds the same computation on the cpu backend (the reference) and the webgpu backend and checks
 * that every returned tensor agrees in shape and values. Returns the cpu values, for known-value checks.
 */
export async function compareBackends(
  build: (b: Backend) => Tensor | Tensor[],
  rtol = 1e-4,
  atol = 1e-5,
  what = 'values',
): Promise<TypedArray[]> {
  const [cpu, gpu] = await bothBackends();
  const results: TypedArray[][] = [];
  for (const b of [cpu, gpu]) {
    const ts = tidy(() => build(b));
    const list = Array.isArray(ts) ? ts : [ts];
    results.push(await readAll(list));
    if (b === cpu) results.push(list.map((t) => Int32Array.from(t.shape)));
  }
  const [want, shapes, got] = results;
  want.forEach((w, i) => {
    if (w.length !== got[i].length)
      throw new Error(
        `${what}[${i}]: ${got[i].length} values on webgpu, ${w.length} on cpu (shape [${shapes[i]}])`,
      );
    assertClose(got[i], w, rtol, atol, `${what}[${i}] (webgpu vs cpu)`);
  });
  return want;
}
