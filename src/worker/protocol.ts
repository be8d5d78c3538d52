/**
 * The typed message protocol between the page and the training worker. The worker owns the GPU
 * device and every tensor; the page sends it commands and receives plain data back (numbers,
 * arrays, transferable byte buffers), so the UI never holds a GPUBuffer or a Tensor.
 */

/** The adapter limits that bound training: tensor sizes, binding sizes and kernel tile shapes. */
export const TRAINING_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

/** One of the limits in TRAINING_LIMITS. */
export type TrainingLimit = (typeof TRAINING_LIMITS)[number];

/** A GPU adapter described as plain data, as both the page's probe and the worker's `ready` report it. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software or otherwise degraded adapter (e.g. SwiftShader): expect slow training. */
  isFallbackAdapter: boolean;
  limits: Record<TrainingLimit, number>;
  /** Every feature the adapter offers, sorted. */
  features: string[];
  /** Subgroup size range when the `subgroups` feature is present. */
  subgroupSizes?: { min: number; max: number };
}
