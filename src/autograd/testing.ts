/**
 * Gradient-check helpers for tests: seeded inputs that avoid kinks and ties, analytic gradients by
 * backward(), central finite differences that perturb each leaf element in place (so module
 * parameters can be leaves too), and gradcheck(), which checks cpu analytic against finite
 * differences and webgpu analytic against cpu analytic.
 */
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { type Tensor, tidy } from '../tensor/tensor';
import { assertClose, bothBackends, randnValues, readAll } from '../tensor/testing';
import { F, noGrad } from './index';

/** What a check differentiates: leaf tensors (inputs or parameters) and a forward pass over them. */
export interface Case {
  leaves: Tensor[];
  forward: () => Tensor;
}

/** Builds a case on a backend (called once per backend). */
export type Setup = (b: Backend) => Case;

/** The finite-difference step: large enough for float32 forward passes. */
export const EPS = 1e-2;

/** A leaf tensor that requires grad. */
export function leaf(b: Backend, values: ArrayLike<number>, shape: number[]): Tensor {
  return ops.tensor(b, values, shape).requiresGrad_();
}

/** Elements of a shape. */
export const size = (shape: number[]) => shape.reduce((a, c) => a * c, 1);

/** Seeded standard-normal values times scale. */
export const normal = (shape: number[], seed: number, scale = 1) => randnValues(size(shape), seed, scale);
/** Seeded values in [lo, lo + 2): domains of log, sqrt, fractional powers, denominators. */
export const positive = (shape: number[], seed: number, lo = 0.5) =>
  normal(shape, seed).map((v) => lo + (Math.abs(v) % 2));
/** Seeded values with |x| >= 0.2, clear of relu's kink at 0 by more than eps. */
export const offKink = (shape: number[], seed: number) =>
  normal(shape, seed).map((v) => Math.sign(v || 1) * (0.2 + Math.abs(v)));
/** A shuffle of distinct values 0.1 apart (no ties within eps), for max and max pooling. */
export function distinct(shape: number[], seed: number): Float32Array {
  const n = size(shape);
  const keys = normal(shape, seed);
  const order = [...keys.keys()].sort((a, c) => keys[a] - keys[c]);
  const out = new Float32Array(n);
  order.forEach((i, rank) => {
    out[i] = (rank - n / 2) * 0.1;
  });
  return out;
}

/** loss = sum(out * w) with fixed seeded w, so every output element's gradient is exercised. */
export function lossOf(out: Tensor): Tensor {
  const w = ops.tensor(out.backend, randnValues(out.size, 999), out.shape);
  return F.sum(F.mul(out, w));
}

/** Gradients of every leaf by backward(). */
export async function analytic(c: Case): Promise<Float32Array[]> {
  for (const l of c.leaves) l.grad = null;
  tidy(() => lossOf(c.forward()).backward());
  const out: Float32Array[] = [];
  for (const l of c.leaves) {
    if (!l.grad) throw new Error(`leaf of shape [${l.shape}] got no gradient`);
    out.push((await l.grad.data()) as Float32Array);
  }
  return out;
}

/** Gradients of every leaf by central differences, perturbing each element in place. */
export async function numeric(c: Case): Promise<Float32Array[]> {
  const at = async () => {
    const loss = noGrad(() => tidy(() => lossOf(c.forward())));
    const [v] = await readAll(loss);
    return v[0];
  };
  const out: Float32Array[] = [];
  for (const l of c.leaves) {
    const x = Float32Array.from((await l.data()) as Float32Array);
    const g = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + EPS;
      l.backend.write(l.storage, x);
      const plus = await at();
      x[i] = x0 - EPS;
      l.backend.write(l.storage, x);
      const minus = await at();
      x[i] = x0;
      l.backend.write(l.storage, x);
      g[i] = (plus - minus) / (2 * EPS);
    }
    out.push(g);
  }
  return out;
}

/** The whole check: cpu analytic vs finite differences, then webgpu's and wasm's analytic vs cpu analytic. */
export async function gradcheck(
  name: string,
  setup: Setup,
  tol = { rtol: 2e-2, atol: 2e-3 },
  gpuTol = { rtol: 1e-4, atol: 1e-5 },
): Promise<void> {
  const [cpu, ...others] = await bothBackends();
  const cpuCase = setup(cpu);
  const want = await analytic(cpuCase);
  const num = await numeric(cpuCase);
  want.forEach((g, i) => {
    assertClose(g, num[i], tol.rtol, tol.atol, `${name}: d/d(input ${i}) analytic vs numeric`);
  });
  for (const b of others) {
    const got = await analytic(setup(b));
    want.forEach((g, i) => {
      assertClose(got[i], g, gpuTol.rtol, gpuTol.atol, `${name}: d/d(input ${i}) ${b.name} vs cpu`);
    });
  }
}
