/**
 * What Node entry points share around the engine: the backend a --backend flag names, and a file
 * the user named, read and parsed with a one-line refusal naming the flag and the file. (Each entry point has its own main: importing
 * another's module would run its main too, since one bundle has one import.meta.url.)
 */
import { readFile } from 'node:fs/promises';
import { adapterName } from '../gpu/device';
import { acquireNodeGpu } from '../gpu/node';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { WasmBackend } from '../tensor/wasm';
import { WebGPUBackend } from '../tensor/webgpu';
import { errorKind } from '../train/errors';
import { UsageError } from './options';
import { loadTuning } from './tuning_cache';

/** The backend --backend names, the GPU's or a CPU Vulkan driver's, said in one line to `log`. */
export async function pickBackend(name: string | undefined, log: (s: string) => void): Promise<Backend> {
  if (name === 'cpu') {
    log('Backend: cpu (plain TypeScript, slow)');
    return new CpuBackend();
  }
  if (name === 'wasm') {
    log('Backend: wasm (WebAssembly SIMD on the CPU, one thread)');
    return WasmBackend.create();
  }
  const gpu = await acquireNodeGpu().catch((e) => {
    throw new UsageError(
      `no WebGPU adapter: ${(e as Error).message} Use --backend wasm to train on the CPU without one.`,
    );
  });
  log(
    `Backend: webgpu on ${adapterName(gpu.summary)}${gpu.summary.isFallbackAdapter ? ' — a CPU Vulkan driver, no GPU found' : ''}`,
  );
  const backend = new WebGPUBackend(gpu.device, { subgroups: gpu.subgroups });
  backend.tuner.restore(await loadTuning(backend.tuner.adapterKey));
  return backend;
}

/** Reads a file the user named, or a one-line UsageError naming the option. */
export async function readUserFile(option: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new UsageError(`--${option}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/**
 * A file the user named, parsed up front so a damaged one is refused before any work, with the
 * flag and the file named: the format's own message does not know which it was. `input` is the
 * file's bytes, or what an earlier parse made of them (a checkpoint read for its vocabulary).
 */
export function parseUserFile<I, T>(flag: string, path: string, input: I, parse: (x: I) => T): T {
  try {
    return parse(input);
  } catch (e) {
    if (errorKind(e) === 'bad-input') throw new UsageError(`--${flag} ${path}: ${(e as Error).message}`);
    throw e;
  }
}
