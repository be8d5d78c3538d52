/**
 * Device acquisition. The browser (page or Web Worker) passes `navigator.gpu`; Node passes the
 * Dawn instance from `gpu/node.ts`. Everything after this point is the same WebGPU code.
 */

/** What the engine knows about the adapter it runs on. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters (SwiftShader, lavapipe): slow, but real WebGPU. */
  isCpu: boolean;
  features: string[];
}

/** A device with the adapter it came from. */
export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  summary: AdapterSummary;
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
    throw new NoWebGPUError('WebGPU found no GPU adapter: update the GPU driver, or enable WebGPU for this GPU.');
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
  return { device, adapter, summary: summarize(adapter) };
}

/** A plain description of an adapter, for logs and the UI. */
export function summarize(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isCpu: /swiftshader|llvmpipe|lavapipe|software|cpu/.test(text),
    features: [...adapter.features].map(String).sort(),
  };
}

/** A one-line name for an adapter, e.g. "nvidia hopper (NVIDIA H100)". */
export function adapterName(s: AdapterSummary): string {
  const head = [s.vendor, s.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = s.description || s.device;
  return detail ? `${head} (${detail})` : head;
}
