/**
 * WebGPU in Node through Dawn (the npm package `webgpu`), for the CLI, benchmarks and unit tests.
 * On a machine with no GPU it points the Vulkan loader at a CPU driver: Mesa's lavapipe when it is
 * installed system-wide (found by default), else Chromium's SwiftShader.
 */
import { existsSync, readdirSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { acquireGpu, type Gpu } from './device';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

// Dawn crashes if its instance is garbage-collected while an adapter or device from it lives, so
// the instance is held for the life of the process.
let instance: GPU | undefined;

/** The process-wide Dawn GPU object, created once with the Vulkan driver chosen. */
export function nodeGpu(): GPU {
  if (!instance) {
    if (
      !process.env.VK_ICD_FILENAMES &&
      !process.env.VK_DRIVER_FILES &&
      !hasSystemIcd() &&
      existsSync(SWIFTSHADER_ICD)
    ) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    }
    Object.assign(globalThis, globals);
    instance = create([]) as GPU;
  }
  return instance;
}

/** Acquires a device on the best adapter Dawn finds. */
export function acquireNodeGpu(): Promise<Gpu> {
  return acquireGpu(nodeGpu());
}

let nullInstance: GPU | undefined;

/**
 * A device on Dawn's null backend, which validates, records and submits every call but runs no
 * GPU work (buffers keep whatever they held): what the CPU side costs alone (`npm run bench:host`).
 */
export function acquireNullGpu(): Promise<Gpu> {
  Object.assign(globalThis, globals);
  nullInstance ??= create(['backend=null']) as GPU;
  return acquireGpu(nullInstance);
}

function hasSystemIcd(): boolean {
  return ICD_DIRS.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')));
}
