/**
 * The wasm backend: tensors in one WebAssembly linear memory, the kernels that dominate training
 * (matrix products in every transpose form with their fused bias/ReLU/row sums, elementwise ops,
 * sums, the optimizers' fused updates, convolutions (im2col and the product), max pooling, batch norm, the data
 * pipeline's image gathers) as WebAssembly
 * (128-bit SIMD where the loop allows) compiled from
 * assembly/kernels.ts, and every other kernel run by the cpu reference backend's own functions on
 * views of the same memory (no copies). It is the page's fallback where there is no WebGPU and the
 * CLI's `--backend wasm`.
 *
 * Memory: a bump allocator over the linear memory (grown as tensors need; WebAssembly memory never
 * shrinks) with freed blocks pooled by size and reused by the next allocation of that size, which
 * is what a training step asks for: the same sizes every step.
 */
import type { Backend, KernelCall, KernelParams, MemoryInfo, Storage } from './backend';
import { CPU_KERNELS, gatherLabelBytes, type KernelBuffers, type KernelViews } from './cpu';
import { BINARY, REDUCE, UNARY } from './kernels';
import {
  WASM_KERNELS,
  WASM_KERNELS_RELAXED,
  WASM_KERNELS_RELAXED_SHARED,
  WASM_KERNELS_SHARED,
} from './wasm_binary.generated';
import { type Split, type SplitKernel, threadsAvailable, WasmThreads } from './wasm_threads';

/** The exports of assembly/kernels.ts (pointers are byte addresses, counts are elements). */
interface Exports {
  matmul(
    a: number,
    b: number,
    out: number,
    M: number,
    N: number,
    K: number,
    sAm: number,
    sAk: number,
    bias: number,
    relu: number,
  ): void;
  matmulBatch(...args: number[]): void;
  rowSums(a: number, sums: number, M: number, K: number, sAm: number, sAk: number): void;
  transpose(src: number, dst: number, R: number, C: number): void;
  transposeRows(...args: number[]): void;
  unary(op: number, a: number, out: number, n: number, alpha: number, beta: number): void;
  unaryRows(...args: number[]): void;
  dropout(a: number, out: number, n: number, p: number, seed: number, offset: number): void;
  binary(op: number, a: number, b: number, out: number, n: number): void;
  binaryRows(...args: number[]): void;
  reduceSum(
    x: number,
    out: number,
    outer: number,
    size: number,
    inner: number,
    scale: number,
    squares: number,
  ): void;
  adam(...args: number[]): void;
  sgd(...args: number[]): void;
  rmsprop(...args: number[]): void;
  im2col(...args: number[]): void;
  col2im(...args: number[]): void;
  rowBias(...args: number[]): void;
  padPlanes(...args: number[]): void;
  unpadPlanes(...args: number[]): void;
  convForward(...args: number[]): void;
  convBackwardInput(...args: number[]): void;
  convBackwardWeight(...args: number[]): void;
  matmulNT(...args: number[]): void;
  maxPool(...args: number[]): void;
  maxPoolBackward(...args: number[]): void;
  batchNormStats(...args: number[]): void;
  batchNormApply(...args: number[]): void;
  batchNormBackwardSums(...args: number[]): void;
  batchNormBackward(...args: number[]): void;
  gatherImages(...args: number[]): void;
}

/** Unary and binary ops the SIMD kernels implement (the rest run as cpu kernels on views). */
const SIMD_UNARY = new Set<number>([
  UNARY.copy,
  UNARY.neg,
  UNARY.relu,
  UNARY.leakyRelu,
  UNARY.affine,
  UNARY.abs,
  UNARY.clamp,
]);
const SIMD_BINARY = new Set<number>([
  BINARY.add,
  BINARY.sub,
  BINARY.mul,
  BINARY.div,
  BINARY.maximum,
  BINARY.minimum,
  BINARY.reluGrad,
  BINARY.eq,
  BINARY.gt,
]);

const PAGE = 65536;
/** The shared memory's maximum, in pages (4 GiB, what the shared-memory build declares). */
const MAX_PAGES = 65536;
/**
 * A launch smaller than this runs on one thread: waking the others costs more (measured on a
 * 2-core machine: a product of 64 x 128 x 10 lost time split, one of 64 x 784 x 128 gained).
 */
const SPLIT_MIN_MACS = 1 << 18;
/** The same for kernels that move elements (transposes, im2col, col2im), which do less per element. */
const SPLIT_MIN_ELEMENTS = 1 << 16;
/** The narrowest output rows whose weight gradient reads the columns in place (convGemm). */
const IMPLICIT_WEIGHT_GRAD_MIN_OW = 16;
/** Unfolded convolution columns held at a time (floats; 32 MiB): images are unfolded in chunks within it. */
const CONV_COLUMNS_FLOATS = 1 << 23;
/** Where the first tensor goes: the first page is left to the module (it has no data of its own today). */
const HEAP_BASE = PAGE;
/** Every block starts on a multiple of 16 bytes (one v128), so slices keep the vec4 layout. */
const ALIGN = 16;

let nextId = 1;

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** A module of one function doing f32x4.relaxed_madd: validates where the engine has relaxed SIMD. */
const RELAXED_PROBE = Uint8Array.from([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32,
  1, 32, 2, 253, 133, 2, 11,
]);

/**
 * Whether this engine runs relaxed SIMD (Chromium 114+, Node 22+), whose fused
 * multiply-add makes the products up to a fifth faster. Node 20 has it behind a V8 flag, set here
 * when Node asks for one: it enables only that finished standard's instructions, for the process.
 */
function relaxedSimd(): boolean {
  if (WebAssembly.validate(RELAXED_PROBE)) return true;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString(f: string): void } | undefined;
  v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(RELAXED_PROBE);
}

/**
 * The kernels module (the ordinary build or the one importing a shared memory, each with relaxed
 * SIMD or without), compiled once per thread (page worker, Node process) and shared by backends.
 */
function kernelsModule(shared = false, relaxed = false): Promise<WebAssembly.Module> {
  const key = `${shared}/${relaxed}`;
  let m = compiled.get(key);
  if (!m) {
    const b64 = relaxed
      ? shared
        ? WASM_KERNELS_RELAXED_SHARED
        : WASM_KERNELS_RELAXED
      : shared
        ? WASM_KERNELS_SHARED
        : WASM_KERNELS;
    m = WebAssembly.compile(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    compiled.set(key, m);
  }
  return m;
}

/** Options of WasmBackend.create. */
export interface WasmBackendOptions {
  /**
   * Threads to run the big kernels on (the caller's and threads-1 workers sharing the memory);
   * default 1. Where the host has no threads (a browser page that is not cross-origin isolated, so
   * has no SharedArrayBuffer), the backend runs on one thread whatever this says: `threads` on the
   * backend tells how many it got (1 also where the host refuses to start the workers).
   */
  threads?: number;
  /**
   * Whether to run the relaxed-SIMD build where the engine has relaxed SIMD (default true): its
   * products use fused multiply-adds, so their last bits differ from the other build's. False
   * runs the plain SIMD build everywhere.
   */
  relaxedSimd?: boolean;
}

/** A storage block: its byte address in the linear memory, with views made when first read. */
class WasmStorage implements Storage, KernelViews {
  refs = 0;
  readonly id = nextId++;
  private views?: {
    buffer: ArrayBuffer;
    f32: Float32Array;
    i32: Int32Array;
    u32: Uint32Array;
    u8: Uint8Array;
  };

  constructor(
    private readonly owner: WasmBackend,
    /** Byte address in the linear memory. */
    readonly ptr: number,
    readonly bytes: number,
    /** Bytes the block holds: bytes rounded up to ALIGN (a slice: to whole floats). */
    readonly capacity: number,
    readonly parent?: WasmStorage,
  ) {}

  /** Views of the current memory buffer: growing the memory replaces the buffer, so they are remade then. */
  private view() {
    const buffer = this.owner.buffer();
    if (this.views?.buffer !== buffer) {
      const words = this.capacity >> 2;
      this.views = {
        buffer,
        f32: new Float32Array(buffer, this.ptr, words),
        i32: new Int32Array(buffer, this.ptr, words),
        u32: new Uint32Array(buffer, this.ptr, words),
        u8: new Uint8Array(buffer, this.ptr, words * 4),
      };
    }
    return this.views;
  }
  get f32(): Float32Array {
    return this.view().f32;
  }
  get i32(): Int32Array {
    return this.view().i32;
  }
  get u32(): Uint32Array {
    return this.view().u32;
  }
  get u8(): Uint8Array {
    return this.view().u8;
  }
}

const num = (p: KernelParams, k: string) => (p[k] as number | undefined) ?? 0;

/** Runs kernels as WebAssembly SIMD code on tensors in its linear memory. */
export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly sliceAlign = ALIGN;
  private top = HEAP_BASE;
  /** Freed blocks by capacity, kept for the next allocation of that capacity. */
  private pool = new Map<number, number[]>();
  private inUse = 0;
  private pooled = 0;
  private blocks = 0;
  private disposed = false;

  private constructor(
    private readonly linear: WebAssembly.Memory,
    private readonly k: Exports,
    private readonly pool_?: WasmThreads,
    /** Whether the kernels are the relaxed-SIMD build (fused multiply-adds in the products). */
    readonly relaxedSimd = false,
  ) {}

  /** Threads the big kernels run on (1: this thread alone). */
  get threads(): number {
    return this.pool_?.count ?? 1;
  }

  /** Launches run split over the threads so far (the small ones run on this thread alone). */
  get splitLaunches(): number {
    return this.pool_?.launches ?? 0;
  }

  /**
   * A backend with a memory of its own (the kernels module is compiled once and shared), on
   * `options.threads` threads where the host has them (see WasmBackendOptions).
   */
  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new Error(`threads must be a whole number from 1 to 256, not ${threads}`);
    }
    let shared = threads > 1 && threadsAvailable();
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory(
        shared ? { initial: 256, maximum: MAX_PAGES, shared: true } : { initial: 256 },
      );
    } catch (e) {
      // A device that cannot reserve a shared memory of that maximum (a 32-bit one) runs on one thread.
      if (!shared) throw e;
      shared = false;
      memory = new WebAssembly.Memory({ initial: 256 });
    }
    const relaxed = (options.relaxedSimd ?? true) && relaxedSimd();
    const module = await kernelsModule(shared, relaxed);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        memory,
        abort: () => {
          throw new Error('wasm kernel aborted');
        },
      },
    });
    // Where the workers cannot start (a host's policy forbids them), one thread on the same memory.
    const pool = shared
      ? await WasmThreads.start(module, memory, threads - 1).catch(() => undefined)
      : undefined;
    return new WasmBackend(memory, instance.exports as unknown as Exports, pool, relaxed);
  }

  /**
   * Runs an export on every thread, split as `split` says, or on this one where the launch is
   * not `big` enough or there are no workers.
   */
  private split(kernel: SplitKernel, args: number[], split: Split, big: boolean): void {
    // The control block holds strides as int32: a launch with larger ones (tensors over 2 GiB) runs here.
    const fits = split.pointers.every(([, stride]) => stride <= 0x7fffffff);
    if (this.pool_ && big && split.total > split.grain && fits) {
      this.pool_.launch(kernel, args, split, this.k as unknown as Record<string, (...a: number[]) => void>);
    } else {
      (this.k[kernel] as (...a: number[]) => void)(...args);
    }
  }

  /** Whether this JavaScript engine runs the kernels module (WebAssembly with 128-bit SIMD). */
  static async supported(): Promise<boolean> {
    try {
      await kernelsModule();
      return true;
    } catch {
      return false;
    }
  }

  /** The memory's current buffer (replaced whenever the memory grows). */
  buffer(): ArrayBuffer {
    return this.linear.buffer as ArrayBuffer;
  }

  alloc(bytes: number): Storage {
    if (this.disposed) throw new Error('the wasm backend was disposed');
    if (!(bytes >= 0) || !Number.isSafeInteger(bytes)) throw new Error(`cannot allocate ${bytes} bytes`);
    const capacity = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let ptr = this.pool.get(capacity)?.pop();
    if (ptr !== undefined) {
      this.pooled -= capacity;
    } else {
      ptr = this.top;
      const end = ptr + capacity;
      const have = this.linear.buffer.byteLength;
      if (end > have) {
        // Grow by at least half again, so a growing model does not regrow (and remake views) every step.
        const want = Math.max(Math.ceil((end - have) / PAGE), Math.ceil(have / 2 / PAGE));
        const max = MAX_PAGES - have / PAGE;
        const pages = Math.min(want, max);
        if (have + pages * PAGE < end)
          throw new Error(`wasm memory is full: ${bytes} more bytes do not fit in 4 GiB`);
        this.linear.grow(pages);
      }
      this.top = end;
      this.blocks++;
    }
    this.inUse += capacity;
    return new WasmStorage(this, ptr, bytes, capacity);
  }

  slice(s: Storage, byteOffset: number, bytes: number): Storage {
    const p = s as WasmStorage;
    if (byteOffset % this.sliceAlign || byteOffset + bytes > p.capacity) {
      throw new Error(`slice [${byteOffset}, +${bytes}) of a ${p.capacity}-byte storage`);
    }
    p.refs++;
    return new WasmStorage(this, p.ptr + byteOffset, bytes, Math.ceil(bytes / 4) * 4, p);
  }

  free(s: Storage): void {
    const p = s as WasmStorage;
    if (p.parent) {
      if (--p.parent.refs === 0) this.free(p.parent);
      return;
    }
    if (this.disposed) return;
    this.inUse -= p.capacity;
    this.pooled += p.capacity;
    const list = this.pool.get(p.capacity);
    if (list) list.push(p.ptr);
    else this.pool.set(p.capacity, [p.ptr]);
  }

  write(s: Storage, data: ArrayBufferView): void {
    (s as WasmStorage).u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  async read(s: Storage, bytes = s.bytes): Promise<ArrayBuffer> {
    return (s as WasmStorage).u8.slice(0, bytes).buffer;
  }

  run(call: KernelCall): void {
    const b = call.buffers as Record<string, WasmStorage>;
    const p = call.params as KernelParams;
    const c = call.constants ?? {};
    if (!this.simd(call.kernel, b, p, c)) CPU_KERNELS[call.kernel](this.views(b), p, c);
  }

  /** Runs the SIMD version of a launch, or returns false where there is none (that op, that layout). */
  private simd(
    kernel: KernelCall['kernel'],
    b: Record<string, WasmStorage>,
    p: KernelParams,
    c: Record<string, number | boolean>,
  ): boolean {
    const k = this.k;
    switch (kernel) {
      case 'matmul':
      case 'matmulBig':
      case 'matmulDirect':
        this.matmul(b, p, c);
        return true;
      case 'unary': {
        const op = c.OP as number;
        if (op === UNARY.dropout && c.CONTIGUOUS && !c.SCATTER) {
          // The mask hashes the element's index in the launch: the same as WGSL's and the cpu's.
          // Split by element: a part's first index (the last argument) moves with its pointers.
          const n = num(p, 'n');
          this.split(
            'dropout',
            [b.a.ptr + 4 * num(p, 'offsetA'), b.out.ptr, n, num(p, 'alpha'), num(p, 'seed') >>> 0, 0],
            {
              total: n,
              grain: 4,
              countArg: 2,
              pointers: [
                [0, 4],
                [1, 4],
                [5, 1],
              ],
            },
            n >= SPLIT_MIN_ELEMENTS,
          );
          return true;
        }
        if (c.SCATTER || !SIMD_UNARY.has(op)) return false;
        const a = b.a.ptr + 4 * num(p, 'offsetA');
        const [alpha, beta] = [num(p, 'alpha'), num(p, 'beta')];
        if (c.CONTIGUOUS) {
          k.unary(op, a, b.out.ptr, num(p, 'n'), alpha, beta);
          return true;
        }
        // A strided view whose rows are contiguous (a permute, a slice): a row at a time.
        const [shape, rank] = [p.shape as number[], num(p, 'rank')];
        const strides = p.strideA as number[];
        if (rank === 0 || strides[rank - 1] !== 1) return false;
        const offsets = this.rowOffsets(shape, rank, [strides]);
        k.unaryRows(op, a, b.out.ptr, offsets.rows, shape[rank - 1], offsets.s.ptr, alpha, beta);
        this.free(offsets.s);
        return true;
      }
      case 'binary':
        return this.binary(b, p, c);
      case 'reduceRows':
      case 'reduceCols': {
        const op = c.OP as number;
        if (op !== REDUCE.sum && op !== REDUCE.sumSquares) return false;
        k.reduceSum(
          b.x.ptr,
          b.out.ptr,
          num(p, 'outer'),
          num(p, 'size'),
          num(p, 'inner'),
          num(p, 'scale'),
          op === REDUCE.sumSquares ? 1 : 0,
        );
        return true;
      }
      case 'adam':
        k.adam(
          b.param.ptr,
          b.grad.ptr,
          b.s1.ptr,
          b.s2.ptr,
          num(p, 'n'),
          num(p, 'lr'),
          num(p, 'weightDecay'),
          num(p, 'beta1'),
          num(p, 'beta2'),
          num(p, 'eps'),
          num(p, 'stepSize'),
          num(p, 'biasCorrection2Sqrt'),
          c.DECOUPLED ? 1 : 0,
        );
        return true;
      case 'sgd':
        k.sgd(
          b.param.ptr,
          b.grad.ptr,
          b.s1?.ptr ?? 0,
          num(p, 'n'),
          num(p, 'lr'),
          num(p, 'weightDecay'),
          num(p, 'momentum'),
          num(p, 'dampening'),
          num(p, 'nesterov') ? 1 : 0,
          num(p, 'firstStep') ? 1 : 0,
        );
        return true;
      case 'rmsprop':
        k.rmsprop(
          b.param.ptr,
          b.grad.ptr,
          b.s1.ptr,
          b.s2?.ptr ?? 0,
          num(p, 'n'),
          num(p, 'lr'),
          num(p, 'weightDecay'),
          num(p, 'alpha'),
          num(p, 'eps'),
          num(p, 'momentum'),
        );
        return true;
      case 'convGemm':
        this.convGemm(b, p, c);
        return true;
      case 'maxPool':
      case 'maxPoolBackward':
        return this.maxPool(kernel, b, p);
      case 'batchNormStats': {
        if (!c.TRAINING) return false;
        const [N, C, S] = [num(p, 'N'), num(p, 'C'), num(p, 'S')];
        // Split by channel: each channel's sums run in one part, in the same order whatever the split.
        // A part's stats pointer moves by its first channel, which moves both its mean (at [c]) and
        // its invstd (at [C + c]); the kernel takes the part's channel count and x's C apart.
        this.split(
          'batchNormStats',
          [
            b.x.ptr,
            b.stats.ptr,
            b.runningMean.ptr,
            b.runningVar.ptr,
            C,
            N,
            C,
            S,
            ...['eps', 'momentum', 'momentumVar'].map((key) => num(p, key)),
          ],
          {
            total: C,
            grain: 1,
            countArg: 4,
            pointers: [
              [0, 4 * S],
              [1, 4],
              [2, 4],
              [3, 4],
            ],
          },
          N * C * S >= SPLIT_MIN_ELEMENTS,
        );
        return true;
      }
      case 'batchNormApply': {
        const [N, C, S] = [num(p, 'N'), num(p, 'C'), num(p, 'S')];
        // Split by image (N): each element's value is its own channel's affine map, whatever the split.
        this.split(
          'batchNormApply',
          [
            b.x.ptr,
            b.stats.ptr,
            c.AFFINE ? b.weight.ptr : 0,
            c.AFFINE ? b.bias.ptr : 0,
            b.out.ptr,
            N,
            C,
            S,
            c.RELU ? 1 : 0,
          ],
          {
            total: N,
            grain: 1,
            countArg: 5,
            pointers: [
              [0, 4 * C * S],
              [4, 4 * C * S],
            ],
          },
          N * C * S >= SPLIT_MIN_ELEMENTS,
        );
        return true;
      }
      case 'batchNormBackwardSums': {
        const [N, C, S] = [num(p, 'N'), num(p, 'C'), num(p, 'S')];
        // Split by channel, as the statistics (y, 0 without the ReLU, is read only with it).
        this.split(
          'batchNormBackwardSums',
          [
            b.x.ptr,
            b.dy.ptr,
            c.RELU ? b.y.ptr : 0,
            b.stats.ptr,
            b.dweight.ptr,
            b.dbias.ptr,
            C,
            N,
            C,
            S,
            c.RELU ? 1 : 0,
          ],
          {
            total: C,
            grain: 1,
            countArg: 6,
            pointers: [
              [0, 4 * S],
              [1, 4 * S],
              [2, 4 * S],
              [3, 4],
              [4, 4],
              [5, 4],
            ],
          },
          N * C * S >= SPLIT_MIN_ELEMENTS,
        );
        return true;
      }
      case 'batchNormBackward': {
        if (!c.TRAINING) return false;
        const [N, C, S] = [num(p, 'N'), num(p, 'C'), num(p, 'S')];
        // Split by image, as batchNormApply: each element's gradient is its own channel's map.
        this.split(
          'batchNormBackward',
          [
            b.x.ptr,
            b.dy.ptr,
            c.RELU ? b.y.ptr : 0,
            b.stats.ptr,
            c.AFFINE ? b.weight.ptr : 0,
            b.dweight.ptr,
            b.dbias.ptr,
            b.out.ptr,
            N,
            N,
            C,
            S,
            c.RELU ? 1 : 0,
          ],
          {
            total: N,
            grain: 1,
            countArg: 8,
            pointers: [
              [0, 4 * C * S],
              [1, 4 * C * S],
              [2, 4 * C * S],
              [7, 4 * C * S],
            ],
          },
          N * C * S >= SPLIT_MIN_ELEMENTS,
        );
        return true;
      }
      case 'gatherBytes':
        this.gatherImages(b, p, b.outf);
        return true;
      case 'gatherWords':
        this.gatherImages(b, p, b.outf4);
        gatherLabelBytes(this.views(b), p, b.labelSrc);
        return true;
      default:
        return false;
    }
  }

  /** A batch of uint8 images gathered by index and normalised into `out` (gatherBytes, gatherWords). */
  private gatherImages(b: Record<string, WasmStorage>, p: KernelParams, out: WasmStorage): void {
    const rowSize = num(p, 'rowSize');
    this.k.gatherImages(
      b.src.ptr,
      rowSize > 0 ? Math.floor(b.src.bytes / rowSize) : 0,
      b.index.ptr,
      num(p, 'indexOffset'),
      num(p, 'rows'),
      rowSize,
      Math.fround(num(p, 'mean')),
      Math.fround(num(p, 'stdev')),
      out.ptr,
    );
  }

  /**
   * Max pooling and its backward, split over the threads by plane: each output and index is its
   * own window's, and each plane's gradient is summed from its own outputs alone, whatever the split.
   */
  private maxPool(
    kernel: 'maxPool' | 'maxPoolBackward',
    b: Record<string, WasmStorage>,
    p: KernelParams,
  ): boolean {
    const g = ['H', 'W', 'OH', 'OW', 'K', 'stride', 'pad'].map((key) => num(p, key));
    const [H, W, OH, OW, K] = g;
    const [plane, pooled] = [H * W, OH * OW];
    // The forward's total counts outputs, the backward's inputs.
    const [total, unit] = [num(p, 'total'), kernel === 'maxPool' ? pooled : plane];
    if (unit === 0 || total % unit) return false;
    const planes = total / unit;
    if (kernel === 'maxPool') {
      this.split(
        'maxPool',
        [b.src.ptr, b.out.ptr, b.indices.ptr, planes, ...g],
        {
          total: planes,
          grain: 1,
          countArg: 3,
          pointers: [
            [0, 4 * plane],
            [1, 4 * pooled],
            [2, 4 * pooled],
          ],
        },
        total * K * K >= SPLIT_MIN_ELEMENTS,
      );
    } else {
      this.split(
        'maxPoolBackward',
        [b.src.ptr, b.argmax.ptr, b.out.ptr, planes, H, W, OH, OW],
        {
          total: planes,
          grain: 1,
          countArg: 3,
          pointers: [
            [0, 4 * pooled],
            [1, 4 * pooled],
            [2, 4 * plane],
          ],
        },
        total >= SPLIT_MIN_ELEMENTS,
      );
    }
    return true;
  }

  /** Plain views of a launch's buffers, taken once: the cpu kernels index them per element. */
  private views(b: Record<string, WasmStorage>): KernelBuffers {
    const views: KernelBuffers = {};
    for (const [key, s] of Object.entries(b)) views[key] = { f32: s.f32, i32: s.i32, u32: s.u32, u8: s.u8 };
    return views;
  }

  /** Every matmul kernel: batched, either operand transposed, with the fused bias, ReLU and row sums. */
  private matmul(b: Record<string, WasmStorage>, p: KernelParams, c: Record<string, number | boolean>): void {
    const [M, N, K, batch] = [num(p, 'M'), num(p, 'N'), num(p, 'K'), num(p, 'batch')];
    const [sA, sB, oA, oB] = [num(p, 'strideA'), num(p, 'strideB'), num(p, 'offsetA'), num(p, 'offsetB')];
    const [sAm, sAk] = c.TRANS_A ? [1, M] : [K, 1];
    const bias = c.HAS_BIAS ? b.bias.ptr : 0;
    // A B stored [N, K] is transposed into [K, N] scratch first (each batch's, unless shared):
    // the kernel streams rows of B.
    const transposes = c.TRANS_B && K * N > 0 ? (sB !== 0 ? batch : 1) : 0;
    const scratch = transposes ? (this.alloc(transposes * K * N * 4) as WasmStorage) : null;
    try {
      for (let z = 0; z < transposes; z++) {
        // Split by rows of B, in blocks of 4 (a transpose moves values: any split gives the same).
        this.split(
          'transposeRows',
          [b.b.ptr + 4 * (oB + z * sB), (scratch as WasmStorage).ptr + 4 * z * K * N, N, K, N],
          {
            total: N,
            grain: 4,
            countArg: 4,
            pointers: [
              [0, 4 * K],
              [1, 4],
            ],
          },
          N * K >= SPLIT_MIN_ELEMENTS,
        );
      }
      const bp = scratch ? scratch.ptr : b.b.ptr + 4 * oB;
      const zB = scratch ? (transposes > 1 ? 4 * K * N : 0) : 4 * sB;
      const [a, out, relu] = [b.a.ptr + 4 * oA, b.out.ptr, c.RELU ? 1 : 0];
      if (batch > 1 && batch >= this.threads) {
        // A batch (a convolution's images) split by product: each is one call whatever the split.
        this.split(
          'matmulBatch',
          [a, bp, out, M, N, K, sAm, sAk, bias, relu, batch, 4 * sA, zB, 4 * M * N],
          {
            total: batch,
            grain: 1,
            countArg: 10,
            pointers: [
              [0, 4 * sA],
              [1, zB],
              [2, 4 * M * N],
            ],
          },
          batch * M * N * K >= SPLIT_MIN_MACS,
        );
      } else {
        // Split by output rows, in the kernel's register blocks of 4 rows: every element is
        // computed by the same code whatever the number of threads.
        for (let z = 0; z < batch; z++)
          this.split(
            'matmul',
            [a + 4 * z * sA, bp + z * zB, out + 4 * z * M * N, M, N, K, sAm, sAk, bias, relu],
            {
              total: M,
              grain: 4,
              countArg: 3,
              pointers: [
                [0, 4 * sAm],
                [2, 4 * N],
              ],
            },
            M * N * K >= SPLIT_MIN_MACS,
          );
      }
      if (c.ROW_SUMS) this.k.rowSums(b.a.ptr + 4 * oA, b.sums.ptr, M, K, sAm, sAk);
    } finally {
      if (scratch) this.free(scratch);
    }
  }

  /**
   * Conv2d as the WebGPU backend's implicit product computes it (CONV_MODE 0 forward, 1 input
   * gradient, 2 weight gradient). At stride 1 the products read the columns in place from
   * zero-padded copies of the images (convImplicit); other strides (and weight gradients of rows
   * under IMPLICIT_WEIGHT_GRAD_MIN_OW outputs) unfold them first (im2col: a chunk of images' columns in scratch memory) for
   * the SIMD matrix products. Both split over the threads by image, or by taps.
   */
  private convGemm(
    b: Record<string, WasmStorage>,
    p: KernelParams,
    c: Record<string, number | boolean>,
  ): void {
    const [M, N, K, batch] = [num(p, 'M'), num(p, 'N'), num(p, 'K'), num(p, 'batch')];
    const g = ['C', 'H', 'W', 'KH', 'KW', 'OH', 'OW', 'stride', 'pad'].map((key) => num(p, key));
    const [C, H, W, KH, KW, OH, OW] = g;
    const [OC, HW, OP, CKK] = [num(p, 'OC'), H * W, OH * OW, C * KH * KW];
    const mode = Number(c.CONV_MODE ?? 0);
    // The weight gradient reads a tap's rows as runs of OW: under 16 (4 vectors) the row's setup and
    // its masked last vector cost more than unfolding (measured: LeNet-5's OW 10, the CNN's 14).
    if (num(p, 'stride') === 1 && (mode !== 2 || OW >= IMPLICIT_WEIGHT_GRAD_MIN_OW)) {
      this.convImplicit(b, p, c, mode, g);
      return;
    }
    // Images unfolded at a time: as many as fit the columns' budget (one at least).
    const chunk = Math.max(1, Math.floor(CONV_COLUMNS_FLOATS / Math.max(CKK * OP, 1)));
    const { temp, release } = this.scratch();
    // A storage's view from an element on, for the product's pointers.
    const at = (s: WasmStorage, element: number) => ({ ptr: s.ptr + 4 * element }) as WasmStorage;
    try {
      if (mode === 0) {
        // out[z] = weight [OC, CKK] x columns(x[z]) [CKK, OP], then the bias per channel and the ReLU.
        const cols = temp(Math.min(chunk, batch) * CKK * OP);
        for (let z0 = 0; z0 < batch; z0 += chunk) {
          const n = Math.min(chunk, batch - z0);
          this.unfold('im2col', b.b.ptr + 4 * z0 * C * HW, cols.ptr, n, g);
          const products = { M, N, K, batch: n, strideA: 0, strideB: CKK * OP, offsetA: 0, offsetB: 0 };
          this.matmul({ a: b.a, b: cols, out: at(b.out, z0 * M * N) }, products, {});
        }
        if (c.HAS_BIAS || c.RELU)
          this.k.rowBias(b.out.ptr, c.HAS_BIAS ? b.bias.ptr : 0, batch * M, N, M, c.RELU ? 1 : 0);
      } else if (mode === 1) {
        // dx[z] = col2im(weight^T [CKK, OC] x dy[z] [OC, OP]).
        const cols = temp(Math.min(chunk, batch) * CKK * OP);
        for (let z0 = 0; z0 < batch; z0 += chunk) {
          const n = Math.min(chunk, batch - z0);
          const products = {
            M: CKK,
            N: OP,
            K: OC,
            batch: n,
            strideA: 0,
            strideB: OC * OP,
            offsetA: 0,
            offsetB: 0,
          };
          this.matmul({ a: b.a, b: at(b.b, z0 * OC * OP), out: cols }, products, { TRANS_A: true });
          this.unfold('col2im', cols.ptr, b.out.ptr + 4 * z0 * M * N, n, g);
        }
      } else {
        // Split z: dw[z] = the sum over its images of dy[img] [OC, OP] x columns(x[img])^T [OP, CKK],
        // as rows against rows (both contiguous along OP: no transpose), the sum over the images
        // of a chunk in registers and chunks added into dw; the bias gradient, dy summed over its
        // images and positions. Computed as dw^T (CKK rows of columns against OC rows of dy), so
        // the kernel's blocks of 4 rows run over the longer side; split over threads by those rows.
        const images = K / OP;
        const n0 = Math.min(chunk, images);
        const cols = temp(n0 * CKK * OP);
        for (let z = 0; z < batch; z++) {
          const out = b.out.ptr + 4 * z * M * N;
          for (let i0 = 0; i0 < images; i0 += n0) {
            const [n, img] = [Math.min(n0, images - i0), z * images + i0];
            this.unfold('im2col', b.b.ptr + 4 * img * C * HW, cols.ptr, n, g);
            const dy = b.a.ptr + 4 * img * OC * OP;
            this.split(
              'matmulNT',
              [cols.ptr, dy, out, CKK, OC, OP, n, CKK * OP, OP, OC * OP, OP, 1, CKK, i0 > 0 ? 1 : 0],
              {
                total: CKK,
                grain: 4,
                countArg: 3,
                pointers: [
                  [0, 4 * OP],
                  [2, 4],
                ],
              },
              n * CKK * OC * OP >= SPLIT_MIN_MACS,
            );
          }
          if (c.ROW_SUMS) this.biasGradient(b, z, images, OC, OP);
        }
      }
    } finally {
      release();
    }
  }

  /**
   * convGemm at stride 1 on zero-padded copies of the images (none where there is no padding):
   * the kernels read tap k of a window at offs[k] bytes from its corner (assembly/conv.ts).
   */
  private convImplicit(
    b: Record<string, WasmStorage>,
    p: KernelParams,
    c: Record<string, number | boolean>,
    mode: number,
    g: number[],
  ): void {
    const [C, H, W, KH, KW, OH, OW, , pad] = g;
    const [OC, OP, CKK, batch] = [num(p, 'OC'), OH * OW, C * KH * KW, num(p, 'batch')];
    const [Hp, Wp] = [H + 2 * pad, W + 2 * pad];
    const plane = Hp * Wp;
    const { temp, release } = this.scratch();
    const offs = temp(CKK);
    const o = offs.i32;
    for (let ch = 0, k = 0; ch < C; ch++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) o[k++] = 4 * (ch * plane + kh * Wp + kw);
    // The images [n, C, H, W] at `src`, padded into scratch (or as they are without padding).
    const padded = (src: number, n: number) => {
      if (pad === 0) return src;
      const t = temp(n * C * plane);
      this.split(
        'padPlanes',
        [src, t.ptr, n * C, H, W, pad],
        {
          total: n * C,
          grain: 1,
          countArg: 2,
          pointers: [
            [0, 4 * H * W],
            [1, 4 * plane],
          ],
        },
        n * C * plane >= SPLIT_MIN_ELEMENTS,
      );
      return t.ptr;
    };
    const byImage = (n: number, countArg: number, pointers: [number, number][]): Split => ({
      total: n,
      grain: 1,
      countArg,
      pointers,
    });
    try {
      if (mode === 0) {
        // out[z] [OC, OP] = weight [OC, CKK] times x[z]'s columns, then the bias and the ReLU.
        const x = padded(b.b.ptr, batch);
        this.split(
          'convForward',
          [b.a.ptr, x, offs.ptr, b.out.ptr, OC, CKK, OH, OW, Wp, batch, 4 * C * plane, 4 * OC * OP],
          byImage(batch, 9, [
            [1, 4 * C * plane],
            [3, 4 * OC * OP],
          ]),
          batch * OC * CKK * OP >= SPLIT_MIN_MACS,
        );
        if (c.HAS_BIAS || c.RELU)
          this.k.rowBias(b.out.ptr, c.HAS_BIAS ? b.bias.ptr : 0, batch * OC, OP, OC, c.RELU ? 1 : 0);
      } else if (mode === 1) {
        // dx[z] = col2im(weight^T dy[z]), summed into the padded image where the columns would be.
        const dx = pad === 0 ? b.out.ptr : temp(batch * C * plane).ptr;
        this.split(
          'convBackwardInput',
          [b.a.ptr, b.b.ptr, offs.ptr, dx, CKK, OC, OH, OW, Wp, batch, 4 * OC * OP, 4 * C * plane],
          byImage(batch, 9, [
            [1, 4 * OC * OP],
            [3, 4 * C * plane],
          ]),
          batch * OC * CKK * OP >= SPLIT_MIN_MACS,
        );
        if (pad > 0)
          this.split(
            'unpadPlanes',
            [dx, b.out.ptr, batch * C, H, W, pad],
            byImage(batch * C, 2, [
              [0, 4 * plane],
              [1, 4 * H * W],
            ]),
            batch * C * plane >= SPLIT_MIN_ELEMENTS,
          );
      } else {
        // Split z: dw[z] [OC, CKK] = the sum over its images of dy[img] x columns(x[img])^T,
        // computed as its transpose (taps against channels), split over the threads by taps.
        const images = num(p, 'K') / OP;
        const x = padded(b.b.ptr, batch * images);
        for (let z = 0; z < batch; z++) {
          const img = z * images;
          this.split(
            'convBackwardWeight',
            [
              x + 4 * img * C * plane,
              b.a.ptr + 4 * img * OC * OP,
              offs.ptr,
              b.out.ptr + 4 * z * OC * CKK,
              CKK,
              OC,
              OH,
              OW,
              Wp,
              images,
              4 * C * plane,
              4 * OC * OP,
              1,
              CKK,
              0,
            ],
            {
              total: CKK,
              grain: 4,
              countArg: 4,
              pointers: [
                [2, 4],
                [3, 4],
              ],
            },
            images * OC * CKK * OP >= SPLIT_MIN_MACS,
          );
          if (c.ROW_SUMS) this.biasGradient(b, z, images, OC, OP);
        }
      }
    } finally {
      release();
    }
  }

  /** Scratch blocks for one launch: `temp(floats)` allocates one, `release()` frees them all. */
  private scratch() {
    const blocks: WasmStorage[] = [];
    return {
      temp: (floats: number) => {
        const t = this.alloc(Math.max(floats, 1) * 4) as WasmStorage;
        blocks.push(t);
        return t;
      },
      release: () => {
        for (const t of blocks) this.free(t);
      },
    };
  }

  /** A convolution's bias gradient for split z: its images' dy [images, OC, OP] summed per channel. */
  private biasGradient(
    b: Record<string, WasmStorage>,
    z: number,
    images: number,
    OC: number,
    OP: number,
  ): void {
    const sums = this.alloc(Math.max(images * OC, 1) * 4) as WasmStorage;
    this.k.reduceSum(b.a.ptr + 4 * z * images * OC * OP, sums.ptr, images * OC, OP, 1, 1, 0);
    this.k.reduceSum(sums.ptr, b.sums.ptr + 4 * z * OC, 1, images, OC, 1, 0);
    this.free(sums);
  }

  /**
   * im2col (images [n, C, H, W] to columns [n, C*KH*KW, OH*OW]) or col2im (its adjoint, summed into
   * zeroed images), split over the threads by image: each part gathers or sums whole images of its own.
   */
  private unfold(kernel: 'im2col' | 'col2im', src: number, out: number, images: number, g: number[]): void {
    const [C, H, W, KH, KW, OH, OW] = g;
    const [image, column] = [C * H * W * 4, C * KH * KW * OH * OW * 4];
    const [srcStride, outStride] = kernel === 'im2col' ? [image, column] : [column, image];
    this.split(
      kernel,
      [src, out, images, ...g],
      {
        total: images,
        grain: 1,
        countArg: 2,
        pointers: [
          [0, srcStride],
          [1, outStride],
        ],
      },
      (images * Math.max(image, column)) / 4 >= SPLIT_MIN_ELEMENTS,
    );
  }

  /**
   * Binary ops on contiguous operands, and on any broadcast whose operands each step 1 or 0 along
   * the last dim (a bias per channel, a value per row), a row at a time.
   */
  private binary(
    b: Record<string, WasmStorage>,
    p: KernelParams,
    c: Record<string, number | boolean>,
  ): boolean {
    const op = c.OP as number;
    if (!SIMD_BINARY.has(op)) return false;
    const [n, rank] = [num(p, 'n'), num(p, 'rank')];
    const a = b.a.ptr + 4 * num(p, 'offsetA');
    const y = b.b.ptr + 4 * num(p, 'offsetB');
    if (c.CONTIGUOUS) {
      this.k.binary(op, a, y, b.out.ptr, n);
      return true;
    }
    const shape = p.shape as number[];
    const [sa, sb] = [p.strideA as number[], p.strideB as number[]];
    if (rank === 0 || n === 0) return false;
    const [stepA, stepB] = [sa[rank - 1], sb[rank - 1]];
    if ((stepA !== 0 && stepA !== 1) || (stepB !== 0 && stepB !== 1)) return false;
    const offsets = this.rowOffsets(shape, rank, [sa, sb]);
    this.k.binaryRows(op, a, y, b.out.ptr, offsets.rows, shape[rank - 1], offsets.s.ptr, stepA, stepB);
    this.free(offsets.s);
    return true;
  }

  /**
   * The element offset where each row (the last dim) of a strided view starts, for each operand's
   * strides: int32 [rows, operands] in scratch memory (the caller frees it).
   */
  private rowOffsets(shape: number[], rank: number, strides: number[][]): { s: WasmStorage; rows: number } {
    let rows = 1;
    for (let d = 0; d < rank - 1; d++) rows *= shape[d];
    const k = strides.length;
    const s = this.alloc(rows * k * 4) as WasmStorage;
    const v = s.i32;
    const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
    const at = new Array<number>(k).fill(0);
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < k; q++) v[r * k + q] = at[q];
      // The next row: an odometer over the leading dims.
      for (let d = rank - 2; d >= 0; d--) {
        index[d]++;
        for (let q = 0; q < k; q++) at[q] += strides[q][d];
        if (index[d] < shape[d]) break;
        for (let q = 0; q < k; q++) at[q] -= strides[q][d] * shape[d];
        index[d] = 0;
      }
    }
    return { s, rows };
  }

  flush(): void {}

  async sync(): Promise<void> {}

  /** One kernel per op: nothing to tune. */
  async tune(): Promise<void> {}

  memory(): MemoryInfo {
    return { bytesInUse: this.inUse, bytesPooled: this.pooled, buffers: this.blocks };
  }

  /**
   * Gives the pooled blocks at the top of the heap back to the bump allocator (for any size to
   * reuse); WebAssembly memory cannot shrink, so the memory itself stays as large as it grew.
   */
  trim(): void {
    const free = [...this.pool].flatMap(([cap, ptrs]) => ptrs.map((ptr) => [ptr, cap] as const));
    free.sort((x, y) => y[0] - x[0]);
    const released = new Set<number>();
    for (const [ptr, cap] of free) {
      if (ptr + cap !== this.top) break;
      this.top = ptr;
      this.pooled -= cap;
      this.blocks--;
      released.add(ptr);
    }
    for (const [cap, ptrs] of this.pool) {
      const kept = ptrs.filter((q) => !released.has(q));
      if (kept.length) this.pool.set(cap, kept);
      else this.pool.delete(cap);
    }
  }

  /** Forgets every block: tensors on this backend are unusable afterwards (the memory goes with the backend). */
  dispose(): void {
    this.pool_?.stop();
    this.disposed = true;
    this.pool.clear();
    this.top = HEAP_BASE;
    this.inUse = this.pooled = this.blocks = 0;
  }
}
