/**
 * TensorFlow.js on its WASM backend (`@tensorflow/tfjs-backend-wasm`, XNNPACK) in Node, for the
 * bench's WASM rows: the tfjs-core of the WebGPU rows, switched to 'wasm', on one thread or on
 * several. Node only (files, worker threads).
 *
 * Threads need help in Node. The package turns them off there (its WASM_HAS_MULTITHREAD_SUPPORT flag
 * is false under Node, tensorflow/tfjs#3830), and forcing the flag is not enough: Emscripten starts
 * its pthread workers from Blob URLs, which Node's worker_threads cannot load, and each worker
 * evaluates the factory's own source text, whose bundle-level names (rollup's `require$$N`,
 * esbuild's `__require`) do not exist there. So while the backend starts, the Blobs it makes are
 * written to files, and the factory's file first defines those names. XNNPACK's pool also takes at
 * most half the logical cores (it assumes two hardware threads per core); the bench asks for every
 * core, as Kiln's rows use, so `os.cpus()` answers twice the count while the backend starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tfw from '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import type { Tfjs } from './suite';

/** The bundle-level names the threaded factory's source uses, as its worker defines them. */
const FACTORY_NAMES: Record<string, string> = {
  require$$0: "require('fs')",
  require$$1: "require('path')",
  require$$3: "require('perf_hooks')",
  require$$4: "require('os')",
  commonjsGlobal: 'globalThis',
  __require: 'require',
};

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

/**
 * TF.js on a freshly started WASM backend with `threads` threads (1: the SIMD build, as TF.js runs in
 * Node by default; more: the threaded SIMD build) and the threads XNNPACK took, or why it is not
 * there. A backend started before is disposed first.
 */
export async function tfjsWasm(
  threads: number,
): Promise<{ tf: Tfjs; threads: number } | { missing: string }> {
  const dist = wasmDist();
  if (!dist)
    return { missing: 'its .wasm files are not here: no @tensorflow/tfjs-backend-wasm beside the bundle' };
  if (!pathsSet) {
    tfw.setWasmPaths(`${dist}/`);
    pathsSet = true;
  }
  // A fresh module per thread count: the build and the pool are chosen when the backend starts.
  const factory = tfc.findBackendFactory('wasm');
  if (tfc.findBackend('wasm')) {
    tfc.removeBackend('wasm');
    tfc.registerBackend('wasm', factory, 2);
  }
  tfc.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
  tfw.setThreadsCount(threads);
  const restore = threads > 1 ? nodeThreads(dist, threads) : () => {};
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
    restore();
    if (!hadDirname) delete global.__dirname;
  }
  if (!started || tfc.getBackend() !== 'wasm') return { missing: 'it did not start (see the warning above)' };
  return { tf: tfc, threads: tfw.getThreadsCount() };
}

/**
 * What the threaded build needs in Node while it starts (see the file's comment): its Blobs as
 * files, and `os.cpus()` at twice `threads`. Returns the undoing.
 */
function nodeThreads(dist: string, threads: number): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-tfjs-wasm-'));
  const { Blob } = globalThis;
  const { createObjectURL } = URL;
  const { cpus } = os;
  const files = new WeakMap<Blob, string>();
  let factoryFile = '';
  let count = 0;
  globalThis.Blob = class extends Blob {
    constructor(parts: BlobPart[] = [], options?: BlobPropertyBag) {
      super(parts, options);
      let text = parts.join('');
      let file: string;
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
        // The factory, which each worker evaluates: the names it shares with the bundle first.
        const unknown = [...new Set(text.match(/\brequire\$\$\d+\b/g))].filter((n) => !(n in FACTORY_NAMES));
        if (unknown.length) throw new Error(`the threaded factory needs ${unknown.join(', ')}`);
        const names = Object.entries(FACTORY_NAMES).map(([n, v]) => `${n}=${v}`);
        text = `var ${names.join(',')},__dirname=${JSON.stringify(dist)};${text}`;
        file = factoryFile = join(dir, 'factory.js');
      } else {
        // The worker's script: it makes a Blob URL of the factory it is sent; give it the file.
        text = `URL.createObjectURL=()=>${JSON.stringify(factoryFile)};URL.revokeObjectURL=()=>{};${text}`;
        file = join(dir, `worker${count++}.js`);
      }
      writeFileSync(file, text);
      files.set(this, file);
    }
  };
  URL.createObjectURL = (blob: Blob) => files.get(blob) ?? createObjectURL(blob);
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length]);
  return () => {
    globalThis.Blob = Blob;
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    // Every worker has read its files once the backend has started.
    rmSync(dir, { recursive: true, force: true });
  };
}
