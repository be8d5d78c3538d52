/**
 * Parameter initialisation with PyTorch's defaults, drawn from the global generator on the host
 * (so a seed gives the same weights on every backend).
 */
import type { Backend } from '../tensor/backend';
import { defaultGenerator } from '../tensor/default';
import { tensor } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';

/** Uniform values in [-bound, bound). */
export function uniform(backend: Backend, shape: number[], bound: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = defaultGenerator.uniform(-bound, bound);
  return tensor(backend, data, shape);
}

/** Normal values N(mean, std^2): torch.nn.init.normal_, nn.Embedding's default (0, 1). */
export function normal(backend: Backend, shape: number[], mean = 0, std = 1): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * defaultGenerator.normal();
  return tensor(backend, data, shape);
}

/** A constant-filled tensor. */
export function constant(backend: Backend, shape: number[], value: number): Tensor {
  return tensor(backend, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape);
}

/**
 * kaiming_uniform_(w, a=sqrt(5)), PyTorch's default for Linear and Conv2d weights: the bound
 * works out to 1/sqrt(fan_in). The bias bound is the same 1/sqrt(fan_in).
 */
export function defaultWeightAndBias(
  backend: Backend,
  shape: number[],
  bias: boolean,
): { weight: Tensor; bias?: Tensor } {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const gain = Math.sqrt(2 / (1 + 5));
  const bound = gain * Math.sqrt(3 / fanIn);
  const weight = uniform(backend, shape, bound);
  return {
    weight,
    bias: bias ? uniform(backend, [shape[0]], fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0) : undefined,
  };
}
