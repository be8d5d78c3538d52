/**
 * TensorFlow.js on its WASM backend (`@tensorflow/tfjs-backend-wasm`, XNNPACK) in Node, for the
 * bench's WASM rows: the tfjs-core of the WebGPU rows, switched to 'wasm'. On one thread: the
 * package runs its SIMD build without threads in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there,
 * tensorflow/tfjs#3830: its Emscripten workers start from Blob URLs, which Node cannot load), so
 * the bench's rows on every core have no TF.js WASM figure and say why.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tfw from '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import type { Tfjs } from './suite';

/**
 * The package's dist folder, where its .wasm binaries are: found from the package, not from this
 * file, which runs bundled elsewhere (node_modules/.cache/kiln); null where the package is not
 * installed beside the bundle (a bundle carried to a GPU machine).
 */
function wasmDist(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  } catch {
    return null;
  }
}

/** Whether the .wasm files' folder is given (TF.js takes it once, before the backend first starts). */
let pathsSet = false;

/** TF.js on its WASM backend (one thread), started once, or why it is not there. */
export async function tfjsWasm(): Promise<{ tf: Tfjs } | { missing: string }> {
  const dist = wasmDist();
  if (!dist)
    return { missing: 'its .wasm files are not here: no @tensorflow/tfjs-backend-wasm beside the bundle' };
  if (!pathsSet) {
    tfw.setWasmPaths(`${dist}/`);
    pathsSet = true;
  }
  // Emscripten's Node code reads `__dirname`, which an ES module bundle has not; the .wasm paths
  // are set above, so any folder does.
  const global = globalThis as { __dirname?: string };
  const hadDirname = '__dirname' in global;
  global.__dirname ??= dist;
  let started: boolean;
  try {
    started = await tfc.setBackend('wasm');
  } catch (e) {
    return { missing: `it did not start: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    if (!hadDirname) delete global.__dirname;
  }
  if (!started || tfc.getBackend() !== 'wasm') return { missing: 'it did not start (see the warning above)' };
  return { tf: tfc };
}
