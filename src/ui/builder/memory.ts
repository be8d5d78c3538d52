/** What training a model costs in device memory, before any batch is fed to it. */
import type { LayerInfo } from 'kiln/spec';

/** Bytes per float32 value. */
const F32 = 4;

/** Training memory in bytes, split the way an engineer budgets it. */
export interface MemoryEstimate {
  weights: number;
  gradients: number;
  /** Adam's first and second moments: two values per parameter. */
  adamState: number;
  /** BatchNorm running statistics. */
  buffers: number;
  total: number;
  /** Layer outputs kept for the backward pass, for one sample; multiply by the batch size. */
  activationsPerSample: number;
}

/**
 * Estimates float32 training memory for Adam from shape inference's per-layer results: of the
 * valid layers before the first invalid one (the rest have no shape to count yet).
 */
export function estimateMemory(all: readonly LayerInfo[]): MemoryEstimate {
  const invalid = all.findIndex((x) => x.error);
  const infos = invalid < 0 ? all : all.slice(0, invalid);
  const params = infos.reduce((s, x) => s + x.params, 0);
  const buffers = infos.reduce((s, x) => s + x.buffers, 0) * F32;
  const activationsPerSample = infos.reduce((s, x) => s + x.activations, 0) * F32;
  const weights = params * F32;
  return {
    weights,
    gradients: weights,
    adamState: 2 * weights,
    buffers,
    total: 4 * weights + buffers,
    activationsPerSample,
  };
}
