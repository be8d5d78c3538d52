/**
 * `kiln`: tensors, autograd and the two backends, as `torch` is to PyTorch. A Tensor lives on a
 * Backend (WebGPU, or the plain TypeScript reference); `tidy` frees a step's intermediates at its
 * end; `F` holds the differentiable ops, `ops` the raw kernels' entry points (no autograd).
 *
 * @module kiln
 */
import '../autograd/methods';

export { backward } from '../autograd/backward';
export * as F from '../autograd/functional';
export { isGradEnabled, noGrad } from '../autograd/grad_mode';
export type { Backend, DType, MemoryInfo, Storage } from '../tensor/backend';
export { CpuBackend } from '../tensor/cpu';
export { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
export type { Histogram } from '../tensor/ops';
export * as ops from '../tensor/ops';
export { Generator, type GeneratorState } from '../tensor/random';
export { numel, Tensor, type Tidyable, type TypedArray, tidy } from '../tensor/tensor';
export { DeviceLostError, WebGPUBackend } from '../tensor/webgpu';
