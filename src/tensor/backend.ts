/**
 * The backend surface: allocate, slice, free, write, read, run a kernel, flush. Everything above it is
 * backend-agnostic, so the cpu backend (the reference) runs every test and the webgpu backend is
 * checked against it kernel by kernel.
 */
import type { KernelName, ParamsOf } from './kernels';

/** Element types. int32 holds labels and indices; both are 4 bytes per element. */
export type DType = 'float32' | 'int32';

/** A block of device memory; what it holds is backend-specific. */
export interface Storage {
  /** Unique per allocation, for caches and labels. */
  readonly id: number;
  /** Bytes requested (the backend may hold more). */
  readonly bytes: number;
  /** Tensors sharing this storage (views); freed when it reaches zero. */
  refs: number;
  /** For a slice, the storage it is part of; the slice holds one of its refs until freed. */
  readonly parent?: Storage;
}

/**
 * Any kernel's params, untyped: values for its uniform struct by WGSL field name (arrays fill
 * array<vec4u, N> fields), as backends read them.
 */
export type KernelParams = Record<string, number | number[]>;

/** Pipeline constants (WGSL `override`s), by name. */
export type KernelConstants = Record<string, number | boolean>;

/**
 * One launch of kernel K: its storage buffers by WGSL variable name, its params (typed per kernel:
 * kernels.ts declares them) and constants. Without K, a launch of any kernel.
 */
export type KernelCall<K extends KernelName = KernelName> = K extends KernelName
  ? {
      kernel: K;
      buffers: Record<string, Storage>;
      params: ParamsOf<K>;
      constants?: KernelConstants;
      /** Params that change on every call (optimizer scalars), so not worth caching. */
      dynamic?: boolean;
    }
  : never;

/** Device memory a backend holds: for tensors, and freed but kept for reuse (the pool). */
export interface MemoryInfo {
  /** Bytes of the buffers that hold live storage. */
  bytesInUse: number;
  /** Bytes of freed buffers kept for reuse (at most the backend's pool cap). */
  bytesPooled: number;
  /** Device buffers held, in use or pooled. */
  buffers: number;
}

/** A place where tensors live and kernels run. */
export interface Backend {
  readonly name: 'webgpu' | 'wasm' | 'cpu';
  /** Allocates uninitialised storage of `bytes` bytes. */
  alloc(bytes: number): Storage;
  /** Byte offsets of slices are multiples of this (the device's storage binding alignment). */
  readonly sliceAlign: number;
  /**
   * The `bytes` bytes of `s` from `byteOffset` (a multiple of sliceAlign) as storage of their own,
   * sharing s's memory: how one flat buffer holds many parameters. The slice holds a ref on s.
   */
  slice(s: Storage, byteOffset: number, bytes: number): Storage;
  /** Returns storage to the backend (its memory may be reused at once by later kernels). */
  free(s: Storage): void;
  /** Copies host data into storage, starting at byte 0. */
  write(s: Storage, data: ArrayBufferView): void;
  /** Reads storage back to the host (waits for all queued work). */
  read(s: Storage, bytes?: number): Promise<ArrayBuffer>;
  /** Queues a kernel launch. */
  run(call: KernelCall): void;
  /** Submits queued work to the device (one submission per training step). */
  flush(): void;
  /** Waits until the device has finished all submitted work. */
  sync(): Promise<void>;
  /**
   * Settles the kernel choices pending since the last call by timing them (the matmul autotuner);
   * a no-op when nothing is pending. Call it between steps, never inside one.
   */
  tune(): Promise<void>;
  memory(): MemoryInfo;
  /** Releases the memory kept for reuse (pooled buffers, cached uniforms and bind groups). */
  trim(): void;
  /**
   * Releases everything the backend holds, live storage included: tensors on it are unusable
   * afterwards, and so is the backend. The device (if any) stays its acquirer's.
   */
  dispose(): void;
}
