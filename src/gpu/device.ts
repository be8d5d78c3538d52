/**
 * Device acquisition. The browser (page or Web Worker) passes `navigator.gpu`; Node passes the
 * Dawn instance from `gpu/node.ts`. Everything after this point is the same WebGPU code.
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

/** A GPU adapter described as plain data, for logs, the page and the worker's `ready` report. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, lavapipe) or one the browser flags as fallback: expect slow training. */
  isFallbackAdapter: boolean;
  limits: Record<TrainingLimit, number>;
  /** Every feature the adapter offers, sorted. */
  features: string[];
  /** Subgroup size range when the `subgroups` feature is present. */
  subgroupSizes?: { min: number; max: number };
}

/** A device with the adapter it came from. */
export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  summary: AdapterSummary;
  /** Kernels may use subgroup operations: the device has `subgroups`, and WGSL the subgroup_id built-in. */
  subgroups: boolean;
}

/** Raised when there is no WebGPU or no adapter; the message says what to do. */
export class NoWebGPUError extends Error {
  override name = 'NoWebGPUError';
}

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName, 'shader-f16'];

/** Requests an adapter and a device with the largest limits the adapter allows. */
export async function acquireGpu(gpu: GPU | undefined): Promise<Gpu> {
  if (!gpu) {
    throw new NoWebGPUError(
      'WebGPU is not available here: use a recent Chrome, Edge or another browser with WebGPU, on https or localhost.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new NoWebGPUError(
      'WebGPU found no GPU adapter: update the GPU driver, or enable WebGPU for this GPU.',
    );
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'kiln',
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  const subgroups =
    device.features.has('subgroups') && (gpu.wgslLanguageFeatures?.has('subgroup_id') ?? false);
  return { device, adapter, summary: summarizeAdapter(adapter), subgroups };
}

/** Reads an adapter's identity, training limits and features into plain data. */
export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info as GPUAdapterInfo & {
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
    isFallbackAdapter?: boolean;
  };
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter:
      (info.isFallbackAdapter ?? false) || /swiftshader|llvmpipe|lavapipe|software/.test(text),
    limits: Object.fromEntries(TRAINING_LIMITS.map((k) => [k, adapter.limits[k]])) as Record<
      TrainingLimit,
      number
    >,
    features: [...adapter.features].map(String).sort(),
  };
  if (info.subgroupMinSize !== undefined && info.subgroupMaxSize !== undefined) {
    summary.subgroupSizes = { min: info.subgroupMinSize, max: info.subgroupMaxSize };
  }
  return summary;
}

/** A one-line name for an adapter, e.g. "nvidia hopper (NVIDIA H100)". */
export function adapterName(s: AdapterSummary): string {
  const head = [s.vendor, s.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = s.description || s.device;
  return detail ? `${head} (${detail})` : head;
}
