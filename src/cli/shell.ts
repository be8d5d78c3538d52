/**
 * What Node entry points share around the engine: the backend a --backend flag names, and a file
 * the user named, read and parsed with a one-line refusal naming the flag and the file, and whether
 * a module is the program being run (isEntry).
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Backend, CpuBackend, WebGPUBackend } from 'kiln';
import { adapterName, summarizeAdapter } from 'kiln/gpu';
import { acquireNodeGpu, nodeGpu } from 'kiln/node';
import { errorKind } from 'kiln/train';
import { WasmBackend } from 'kiln/wasm';
import { type CliOption, UsageError } from './options';
import { handleStopSignals } from './signals';
import { loadTuning } from './tuning_cache';

/** --backend, for every command that runs a model (train, sweep, generate). */
export const BACKEND_OPTION = {
  flag: 'backend',
  kind: { type: 'choice', choices: ['auto', 'webgpu', 'wasm', 'cpu'] },
  help: `where the model runs: auto (webgpu on a GPU; wasm where WebGPU finds only a CPU Vulkan
driver, which is slower, or no adapter), webgpu (the GPU, or a CPU Vulkan driver), wasm
(WebAssembly SIMD on the CPU's cores), cpu (plain TypeScript, the reference)`,
  default: 'auto',
} as const satisfies CliOption;

/** --threads, for every command that takes --backend (train, sweep, generate). */
export const THREADS_OPTION = {
  flag: 'threads',
  kind: { type: 'count', min: 1 },
  help: "the wasm backend's threads (default: this machine's cores)",
} as const satisfies CliOption;

/**
 * The backend --backend names, said in one line to `log`: `auto` takes the GPU where WebGPU finds
 * one and the wasm backend where it finds only a CPU Vulkan driver (lavapipe, SwiftShader: several
 * times slower than the wasm backend on the same cores, `npm run bench`) or nothing; `threads`
 * (--threads) is the wasm backend's, the machine's cores where absent.
 */
export async function pickBackend(
  name: string | undefined,
  log: (s: string) => void,
  threads?: number,
): Promise<Backend> {
  const choice = name ?? 'auto';
  if (threads !== undefined && choice !== 'wasm' && choice !== 'auto')
    throw new UsageError('--threads needs --backend wasm');
  if (choice === 'cpu') {
    log('Backend: cpu (plain TypeScript, slow)');
    return new CpuBackend();
  }
  const wasm = async (why = '') => {
    const backend = await WasmBackend.create({ threads: Math.min(threads ?? availableParallelism(), 256) });
    const n = backend.threads;
    log(`Backend: wasm (WebAssembly SIMD on the CPU, ${n === 1 ? 'one thread' : `${n} threads`})${why}`);
    return backend;
  };
  if (choice === 'wasm') return wasm();
  if (choice === 'auto') {
    // The adapter alone tells which: no device is made for a backend that is not taken.
    const adapter = await nodeGpu()
      .requestAdapter({ powerPreference: 'high-performance' })
      .catch(() => null);
    if (!adapter) return wasm(' — WebGPU found no adapter');
    const summary = summarizeAdapter(adapter);
    if (summary.isFallbackAdapter)
      return wasm(
        ` — WebGPU found only a CPU Vulkan driver (${adapterName(summary)}), slower here: --backend webgpu to use it`,
      );
  }
  const gpu = await acquireNodeGpu().catch((e: Error) => e);
  if (gpu instanceof Error) {
    throw new UsageError(
      `no WebGPU adapter: ${gpu.message} Use --backend wasm to train on the CPU without one.`,
    );
  }
  if (threads !== undefined)
    throw new UsageError(`--threads is the wasm backend's, and this machine has a GPU: add --backend wasm`);
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

/**
 * Whether the module at `url` (its import.meta.url), the entry point `path` ('src/cli/train.ts'),
 * is the program being run, not imported by a test or by another entry point. In a bundle of
 * scripts/run-node.mjs every module shares the bundle's URL, so the bundle says its entry
 * (globalThis.kilnEntry); run from source, the module's URL is compared with the program's, by
 * real paths on both sides (through a symlinked node_modules, argv[1] is the link's).
 */
export function isEntry(url: string, path: string): boolean {
  const bundled = (globalThis as { kilnEntry?: string }).kilnEntry;
  if (bundled !== undefined) return bundled === path;
  const program = process.argv[1];
  return program !== undefined && url === pathToFileURL(realpathSync(resolve(program))).href;
}

/** What a shell around the CLI provides: where it writes, and a stop request (Ctrl-C). */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Whether stderr is a terminal (for the progress bar). */
  tty: boolean;
  /** True once the user asked to stop. */
  stopRequested(): boolean;
}

/**
 * The failure `e` of a training program said in one line, and its exit code: 2 for a usage or
 * settings error, 1 for the rest (with KILN_DEBUG=1 the stack of an internal error too).
 */
export function failure(e: unknown, io: Pick<CliIo, 'stderr'>): number {
  io.stderr(`error: ${e instanceof Error ? e.message : String(e)}`);
  const kind = errorKind(e);
  if (!(e instanceof UsageError) && kind === 'internal' && process.env.KILN_DEBUG) console.error(e);
  return e instanceof UsageError || kind === 'config' ? 2 : 1;
}

/** Runs a training program's main on this process's arguments and exits with its code (130 on Ctrl-C). */
export async function runProgram(main: (argv: string[], io: CliIo) => Promise<number>): Promise<void> {
  const stop = handleStopSignals((line) => process.stderr.write(`\n${line}\n`));
  const code = await main(process.argv.slice(2), {
    stdout: (s) => console.log(s),
    stderr: (s) => process.stderr.write(`${s}\n`),
    tty: process.stderr.isTTY === true,
    stopRequested: stop.requested,
  });
  process.exit(stop.exitCode(code));
}
