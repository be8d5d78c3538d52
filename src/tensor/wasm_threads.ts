/**
 * The wasm backend's threads: n-1 workers (Web Workers in a browser, worker_threads in Node), each
 * with its own instance of the shared-memory build of the kernels module on the backend's one
 * shared linear memory, and a per-launch barrier on a small shared control block (Atomics wait and
 * notify). A launch splits one kernel's work (a matrix product's output rows, or a batch's
 * products; a transpose's rows; im2col's, col2im's and batch norm's images; batch norm's statistics' and backward sums' channels; max pooling's planes) into n contiguous parts: the calling thread runs part 0 while the workers run the rest,
 * and returns when all are done, so the backend's run() stays synchronous.
 *
 * Parts are cut on whole blocks of `grain` units (4 rows for the matrix product, its register
 * block), so every output element is computed by the same code on the same operands whatever the
 * number of threads: results are bit-identical to one thread.
 */

/** The kernels a launch can split, by index (the workers' code names them in the same order). */
export const SPLIT_KERNELS = [
  'matmul',
  'matmulBatch',
  'matmulNT',
  'transposeRows',
  'im2col',
  'col2im',
  'padPlanes',
  'unpadPlanes',
  'convForward',
  'convBackwardInput',
  'convBackwardWeight',
  'maxPool',
  'maxPoolBackward',
  'batchNormApply',
  'batchNormStats',
  'batchNormBackwardSums',
  'batchNormBackward',
  'dropout',
] as const;
/** A kernel a launch can split. */
export type SplitKernel = (typeof SPLIT_KERNELS)[number];

/** How a launch splits: `total` units in blocks of `grain`; arg `countArg` gets a part's unit count, and each pointer arg advances by its stride (bytes) per unit. */
export interface Split {
  total: number;
  grain: number;
  countArg: number;
  pointers: [arg: number, bytesPerUnit: number][];
}

const MAX_ARGS = 16;
/** Checks of a shared word before a thread sleeps on it (about 0.1 ms). */
const SPIN = 20000;
const MAX_POINTERS = 6;
// Control block, int32 words: the launch generation (workers wait on it), parts still running (the
// caller waits on it), the kernel, the number of parts, quit, the split's total, grain, count arg,
// pointer count, whether a part failed, then (arg, stride) pairs; float64 args after it.
const GEN = 0;
const PENDING = 1;
const KERNEL = 2;
const PARTS = 3;
const QUIT = 4;
const TOTAL = 5;
const GRAIN = 6;
const COUNT_ARG = 7;
const NPTR = 8;
const FAILED = 9;
const PTRS = 10;
const ARGS_BYTE = 128;
const CONTROL_BYTES = ARGS_BYTE + 8 * MAX_ARGS;

/**
 * The workers' code, one string for both hosts (a blob URL in a browser, `eval` in Node), so no
 * bundler has to find a worker entry. It is plain ES2020 with no imports; its part arithmetic is
 * `part()` below, line for line.
 */
const WORKER_SOURCE = `
const KERNELS = ${JSON.stringify(SPLIT_KERNELS)};
const port = typeof self === 'undefined' ? require('node:worker_threads').parentPort : null;
const onFirst = (f) => port ? port.once('message', f) : (self.onmessage = (e) => { self.onmessage = null; f(e.data); });
const post = (m) => port ? port.postMessage(m) : self.postMessage(m);
onFirst(({ module, memory, control, index }) => {
  const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm kernel aborted'); } } }).exports;
  const ctl = new Int32Array(control, 0, ${ARGS_BYTE / 4});
  const f64 = new Float64Array(control, ${ARGS_BYTE}, ${MAX_ARGS});
  const args = new Array(${MAX_ARGS});
  let gen = 0;
  post('ready');
  for (;;) {
    // Launches come in bursts (a training step): spin a moment before sleeping, since waking a
    // sleeping thread costs more than many small launches take.
    for (let i = 0; i < ${SPIN} && Atomics.load(ctl, ${GEN}) === gen; i++);
    // Sleep until the generation moves on. Node's Atomics.wait can return "ok" without it (seen
    // under load, a backend started after another was disposed): running that launch again would
    // count this thread twice at the barrier, and the caller would wait for ever.
    while (Atomics.load(ctl, ${GEN}) === gen) Atomics.wait(ctl, ${GEN}, gen);
    gen = Atomics.load(ctl, ${GEN});
    if (Atomics.load(ctl, ${QUIT})) break;
    const parts = ctl[${PARTS}], total = ctl[${TOTAL}], grain = ctl[${GRAIN}];
    const blocks = Math.ceil(total / grain);
    const from = Math.min(Math.floor((blocks * index) / parts) * grain, total);
    const to = Math.min(Math.floor((blocks * (index + 1)) / parts) * grain, total);
    try {
      if (to > from) {
        for (let i = 0; i < ${MAX_ARGS}; i++) args[i] = f64[i];
        args[ctl[${COUNT_ARG}]] = to - from;
        for (let p = 0; p < ctl[${NPTR}]; p++) args[ctl[${PTRS} + 2 * p]] += from * ctl[${PTRS} + 2 * p + 1];
        k[KERNELS[ctl[${KERNEL}]]](...args);
      }
    } catch {
      // The caller reports it: this thread must still arrive at the barrier.
      Atomics.store(ctl, ${FAILED}, 1);
    }
    if (Atomics.sub(ctl, ${PENDING}, 1) === 1) Atomics.notify(ctl, ${PENDING});
  }
});
`;

/** Part `index` of `parts`: units [from, to) (the workers compute the same, see WORKER_SOURCE). */
export function part(total: number, grain: number, parts: number, index: number): [number, number] {
  const blocks = Math.ceil(total / grain);
  const from = Math.min(Math.floor((blocks * index) / parts) * grain, total);
  const to = Math.min(Math.floor((blocks * (index + 1)) / parts) * grain, total);
  return [from, to];
}

/** The Worker classes of this host: the browser's, or Node's worker_threads (without importing it, so the page's bundle has no Node import). */
type AnyWorker = {
  postMessage(m: unknown): void;
  terminate(): unknown;
  unref?(): void;
};

interface NodeWorkerThreads {
  Worker: new (
    code: string,
    options: { eval: true },
  ) => AnyWorker & { once(event: string, f: (m: unknown) => void): void };
}

/** Node's worker_threads, where this is Node (process.getBuiltinModule, Node 20.16+), else undefined. */
function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
}

/**
 * Whether this host can run the backend's threads: Node with worker_threads, or a browser page or
 * worker that is cross-origin isolated (which is what gives it SharedArrayBuffer) with Worker.
 */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  if (nodeWorkerThreads()) return true;
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown; document?: unknown };
  // A page's main thread may not block in Atomics.wait: only a worker (the training worker) runs them.
  return g.crossOriginIsolated === true && typeof g.Worker === 'function' && g.document === undefined;
}

/** Starts one worker on this host and resolves when its instance is ready. */
function startWorker(init: Record<string, unknown>): Promise<AnyWorker> {
  const node = nodeWorkerThreads();
  return new Promise((resolve, reject) => {
    if (node) {
      const w = new node.Worker(WORKER_SOURCE, { eval: true });
      (w as unknown as { once(e: string, f: (x: unknown) => void): void }).once('error', reject);
      w.once('message', () => {
        // A worker blocked in Atomics.wait must not keep Node running when the program is done.
        w.unref?.();
        resolve(w);
      });
      w.postMessage(init);
      return;
    }
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(url);
    URL.revokeObjectURL(url);
    w.onerror = (e) => reject(new Error(`wasm thread failed to start: ${e.message}`));
    w.onmessage = () => {
      w.onmessage = w.onerror = null;
      resolve(w);
    };
    w.postMessage(init);
  });
}

/** The workers of one backend and the barrier a launch runs through. */
export class WasmThreads {
  private readonly ctl: Int32Array;
  private readonly f64: Float64Array;
  private stopped = false;
  /** Launches split over the threads so far. */
  launches = 0;

  private constructor(
    private readonly workers: AnyWorker[],
    control: SharedArrayBuffer,
  ) {
    this.ctl = new Int32Array(control, 0, ARGS_BYTE / 4);
    this.f64 = new Float64Array(control, ARGS_BYTE, MAX_ARGS);
  }

  /** Starts `count` workers on `memory` (shared), each instantiating `module` (the shared-memory build). */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
  ): Promise<WasmThreads> {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => startWorker({ module, memory, control, index: i + 1 })),
    );
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      for (const w of workers) w.terminate();
      throw (failed as PromiseRejectedResult).reason;
    }
    return new WasmThreads(workers, control);
  }

  /** Threads a launch runs on: the workers and the caller. */
  get count(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `kernel(...args)` split as `split` says over every thread, the caller's part on its own
   * instance `k`, and returns when every part is done.
   */
  launch(
    kernel: SplitKernel,
    args: number[],
    split: Split,
    k: Record<string, (...a: number[]) => void>,
  ): void {
    if (this.stopped) throw new Error('the wasm backend was disposed');
    this.launches++;
    if (args.length > MAX_ARGS || split.pointers.length > MAX_POINTERS)
      throw new Error('too many launch arguments');
    const ctl = this.ctl;
    const parts = this.count;
    this.f64.fill(0);
    this.f64.set(args);
    ctl[KERNEL] = SPLIT_KERNELS.indexOf(kernel);
    ctl[PARTS] = parts;
    ctl[TOTAL] = split.total;
    ctl[GRAIN] = split.grain;
    ctl[COUNT_ARG] = split.countArg;
    ctl[NPTR] = split.pointers.length;
    split.pointers.forEach(([arg, stride], i) => {
      ctl[PTRS + 2 * i] = arg;
      ctl[PTRS + 2 * i + 1] = stride;
    });
    Atomics.store(ctl, PENDING, parts - 1);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    try {
      // Part 0, here.
      const [from, to] = part(split.total, split.grain, parts, 0);
      if (to > from) {
        const own = args.slice();
        own[split.countArg] = to - from;
        for (const [arg, stride] of split.pointers) own[arg] += from * stride;
        k[kernel](...own);
      }
    } finally {
      // Even when part 0 threw, the workers are still writing: the next launch must not start first.
      for (let i = 0; i < SPIN && Atomics.load(ctl, PENDING) !== 0; i++);
      for (let left = Atomics.load(ctl, PENDING); left !== 0; left = Atomics.load(ctl, PENDING)) {
        Atomics.wait(ctl, PENDING, left);
      }
    }
    if (Atomics.exchange(ctl, FAILED, 0)) throw new Error(`wasm kernel ${kernel} failed on a worker thread`);
  }

  /** Stops and terminates every worker. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctl, QUIT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) w.terminate();
  }
}
