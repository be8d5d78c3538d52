/**
 * The page's first act: ask the browser for a WebGPU adapter and a device, and describe what it got
 * (or why it got nothing) as plain data. The device is destroyed at once; the training worker
 * requests its own.
 */
import { type AdapterSummary, summarizeAdapter } from 'kiln/gpu';

/** Why WebGPU cannot be used here, from the most to the least fundamental cause. */
export type GpuUnavailableReason = 'insecure-context' | 'no-api' | 'no-adapter' | 'no-device';

/** The outcome of probing WebGPU. */
export type GpuProbe =
  | { status: 'ready'; adapter: AdapterSummary }
  | { status: 'unavailable'; reason: GpuUnavailableReason; detail: string };

/** Features that change how fast or how exactly Kiln can train. */
export const TRAINING_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

/** Asks for an adapter and a device; never throws, every failure becomes a reason the UI can explain. */
export async function probeGpu(): Promise<GpuProbe> {
  if (!globalThis.isSecureContext)
    return {
      status: 'unavailable',
      reason: 'insecure-context',
      detail: `This page was served from ${location.origin}, which is not a secure context.`,
    };
  if (!('gpu' in navigator) || !navigator.gpu)
    return {
      status: 'unavailable',
      reason: 'no-api',
      detail: 'navigator.gpu is not defined in this browser.',
    };
  let adapter: GPUAdapter | null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { status: 'unavailable', reason: 'no-adapter', detail: `requestAdapter() threw: ${errorText(e)}` };
  }
  if (!adapter)
    return { status: 'unavailable', reason: 'no-adapter', detail: 'requestAdapter() returned null.' };
  const summary = summarizeAdapter(adapter);
  try {
    const device = await adapter.requestDevice({ label: 'kiln-probe' });
    device.destroy();
  } catch (e) {
    return { status: 'unavailable', reason: 'no-device', detail: `requestDevice() failed: ${errorText(e)}` };
  }
  return { status: 'ready', adapter: summary };
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Formats a byte count the way GPU limits are usually quoted (binary units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || Number.isInteger(v) ? 0 : v < 10 ? 2 : 1;
  return `${v.toFixed(digits)} ${units[u]}`;
}
