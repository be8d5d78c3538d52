/**
 * The WebGPU backend. Kernel launches are recorded into one compute pass and submitted together
 * at flush() (every few training steps); pipelines, uniform buffers and bind groups are cached,
 * and params that change every call (optimizer scalars) share one uniform arena uploaded per
 * submission, so a step that repeats the last one's shapes creates no GPU objects; storage buffers
 * come from a pool, so a step that frees what it allocated allocates nothing new. The pool and the
 * caches are bounded (least recently used entries go first), so a tab that trains run after run
 * holds no more than its live tensors and those bounds.
 */
import {
  makeShaderDataDefinitions,
  makeStructuredView,
  type ShaderDataDefinitions,
  type StructuredView,
} from 'webgpu-utils';
import { type KernelTime, Profiler } from '../gpu/profiler';
import { type MatmulCall, MatmulTuner } from './autotune';
import type { Backend, KernelCall, KernelParams, MemoryInfo, Storage } from './backend';
import { KERNELS, type ShaderFamily } from './kernels';
import { shaderSource } from './shaders';

/** A pooled GPU buffer. `lastUse` is the submission serial of the last command that touched it. */
interface PooledBuffer {
  buffer: GPUBuffer;
  id: number;
  capacity: number;
  lastUse: number;
}

interface GpuStorage extends Storage {
  pooled: PooledBuffer;
  /** Where this storage starts in the buffer (non-zero for slices), and the bytes it binds. */
  offset: number;
  span: number;
}

/**
 * Where a call's uniform struct lives; `key` names it in the bind group cache, `lastUse` is the
 * submission serial of the last command that read it.
 */
interface UniformBinding {
  buffer: GPUBuffer;
  offset: number;
  size: number;
  key: string;
  lastUse: number;
}

/** Bytes of dynamic params one submission can carry; more submits early. */
const ARENA_BYTES = 64 * 1024;

/** Bytes of freed storage buffers the pool keeps for reuse by default. */
const POOL_BYTES = 256 * 1024 * 1024;

/**
 * Uniform buffers and bind groups each cache keeps by default: a training step launches a few
 * hundred kernels, so this holds several steps' worth, and a run of new shapes cannot grow it.
 */
const CACHE_ENTRIES = 4096;

/** Raised when the GPU device is lost (driver reset, GPU removed, too long a dispatch). */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

let nextId = 1;

/** A map that keeps its `capacity` most recently used entries, handing those it drops to `drop`. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    private readonly capacity: number,
    private readonly drop: (value: V) => void = () => {},
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // A Map iterates in insertion order: re-inserting makes this entry the newest.
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.set(key, value);
    for (const [k, v] of this.map) {
      if (this.map.size <= this.capacity) break;
      this.map.delete(k);
      this.drop(v);
    }
  }

  clear(): void {
    for (const v of this.map.values()) this.drop(v);
    this.map.clear();
  }
}

/** Buffer sizes are rounded up so that slightly different requests share pool entries. */
function sizeClass(bytes: number): number {
  const b = Math.max(16, bytes);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

/** Runs kernels on a GPUDevice. */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  private readonly modules = new Map<
    ShaderFamily,
    { module: GPUShaderModule; defs: ShaderDataDefinitions }
  >();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly uniforms: Lru<string, UniformBinding>;
  private readonly views = new Map<string, StructuredView>();
  /** Dynamic calls' params: filled while recording, uploaded by flush() in one write. */
  private readonly arena: { buffer: GPUBuffer; host: Uint8Array; used: number; align: number };
  private readonly bindGroups: Lru<string, GPUBindGroup>;
  /** Every storage buffer alive, in use or pooled. */
  private readonly buffers = new Set<PooledBuffer>();
  /** Pooled buffers by capacity, the most recently freed last. */
  private readonly free_ = new Map<number, PooledBuffer[]>();
  /** Pooled buffers, the least recently freed first: the first to go when the pool is over its cap. */
  private readonly idle = new Set<PooledBuffer>();
  /** Buffers dropped while the unsubmitted commands use them: destroyed once those are submitted. */
  private readonly retiring: GPUBuffer[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private profiler: Profiler | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private serial = 1;
  private inUse = 0;
  private pooled = 0;
  /** The first uncaptured GPU error, reported at the next read. */
  private error: Error | null = null;
  /** Keeps the device's first uncaptured error for the next check (removed on dispose: a device can outlive its backends). */
  private readonly onError = (e: Event) => {
    this.error ??= new Error(`GPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  };
  private disposed = false;
  /** Set once the device is lost; every later call throws. */
  lost: DeviceLostError | null = null;
  /** Launches recorded since creation, for tests of batching. */
  dispatches = 0;
  /** Submissions since creation. */
  submissions = 0;
  /** Chooses the matmul kernel per shape on this adapter. */
  readonly tuner: MatmulTuner;
  /** Whether workgroup reductions run on subgroup operations (else a tree in workgroup memory). */
  readonly subgroups: boolean;
  /** The most bytes of freed storage buffers kept for reuse; beyond it the oldest are destroyed. */
  readonly poolBytes: number;

  /**
   * `subgroups`: reduce with subgroup operations, where the device has the feature and WGSL the
   * subgroup_id built-in (acquireGpu's Gpu.subgroups says so). `poolBytes`: the pool's cap (256
   * MiB). `cacheEntries`: the uniform buffers, and the bind groups, kept cached (4096 each).
   */
  constructor(
    readonly device: GPUDevice,
    opts: { subgroups?: boolean; poolBytes?: number; cacheEntries?: number } = {},
  ) {
    this.subgroups = (opts.subgroups ?? false) && device.features.has('subgroups');
    this.poolBytes = opts.poolBytes ?? POOL_BYTES;
    const entries = opts.cacheEntries ?? CACHE_ENTRIES;
    this.uniforms = new Lru(entries, (u) => this.retire(u.buffer, u.lastUse));
    this.bindGroups = new Lru(entries);
    const info = device.adapterInfo;
    const text = info
      ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase()
      : '';
    // Software adapters (lavapipe, SwiftShader) emulate workgroup memory and barriers.
    this.tuner = new MatmulTuner(text, /swiftshader|llvmpipe|lavapipe|software/.test(text));
    this.arena = {
      buffer: device.createBuffer({
        label: 'kiln:uniform-arena',
        size: ARENA_BYTES,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      }),
      host: new Uint8Array(ARENA_BYTES),
      used: 0,
      align: device.limits.minUniformBufferOffsetAlignment,
    };
    device.addEventListener('uncapturederror', this.onError);
    device.lost.then((info) => {
      this.lost = new DeviceLostError(`The GPU device was lost (${info.reason}): ${info.message}`);
    });
  }

  alloc(bytes: number): Storage {
    this.check();
    const capacity = sizeClass(bytes);
    let pooled = this.free_.get(capacity)?.pop();
    if (pooled) {
      this.idle.delete(pooled);
      this.pooled -= capacity;
    } else {
      const id = nextId++;
      const buffer = this.device.createBuffer({
        label: `kiln:buffer#${id}:${capacity}`,
        size: capacity,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      pooled = { buffer, id, capacity, lastUse: 0 };
      this.buffers.add(pooled);
    }
    this.inUse += capacity;
    const s: GpuStorage = { id: nextId++, bytes, refs: 0, pooled, offset: 0, span: capacity };
    return s;
  }

  get sliceAlign(): number {
    return this.device.limits.minStorageBufferOffsetAlignment;
  }

  slice(s: Storage, byteOffset: number, bytes: number): Storage {
    const p = s as GpuStorage;
    // Kernels that read vec4s bind whole ones: a slice spans its bytes rounded up to 16.
    const span = Math.ceil(bytes / 16) * 16;
    if (byteOffset % this.sliceAlign || byteOffset + span > p.span) {
      throw new Error(`slice [${byteOffset}, +${span}) of a ${p.span}-byte storage`);
    }
    p.refs++;
    const c: GpuStorage = {
      id: nextId++,
      bytes,
      refs: 0,
      parent: s,
      pooled: p.pooled,
      offset: p.offset + byteOffset,
      span,
    };
    return c;
  }

  free(s: Storage): void {
    if (s.parent) {
      if (--s.parent.refs === 0) this.free(s.parent);
      return;
    }
    const { pooled } = s as GpuStorage;
    if (this.disposed) return;
    this.inUse -= pooled.capacity;
    const list = this.free_.get(pooled.capacity);
    if (list) list.push(pooled);
    else this.free_.set(pooled.capacity, [pooled]);
    this.idle.add(pooled);
    this.pooled += pooled.capacity;
    if (this.pooled > this.poolBytes) this.shrinkPool(this.poolBytes);
  }

  /** Destroys the least recently freed pooled buffers until the pool holds at most `limit` bytes. */
  private shrinkPool(limit: number): void {
    for (const b of this.idle) {
      if (this.pooled <= limit) break;
      this.idle.delete(b);
      const list = this.free_.get(b.capacity) as PooledBuffer[];
      list.splice(list.indexOf(b), 1);
      this.pooled -= b.capacity;
      this.buffers.delete(b);
      this.retire(b.buffer, b.lastUse);
    }
  }

  /**
   * Destroys a buffer that no cache or pool holds any longer: at once, unless a command still being
   * recorded uses it (a submission holding a destroyed buffer fails); then after flush() submits it.
   */
  private retire(buffer: GPUBuffer, lastUse: number): void {
    if (lastUse === this.serial) this.retiring.push(buffer);
    else buffer.destroy();
  }

  write(s: Storage, data: ArrayBufferView): void {
    this.check();
    const { pooled, offset } = s as GpuStorage;
    // queue.writeBuffer lands before anything still being recorded: flush first if recorded work
    // reads this buffer's previous contents.
    if (pooled.lastUse === this.serial) this.flush();
    const bytes = data.byteLength;
    if (bytes % 4 === 0) {
      this.device.queue.writeBuffer(pooled.buffer, offset, data.buffer, data.byteOffset, bytes);
    } else {
      const padded = new Uint8Array(Math.ceil(bytes / 4) * 4);
      padded.set(new Uint8Array(data.buffer, data.byteOffset, bytes));
      this.device.queue.writeBuffer(pooled.buffer, offset, padded);
    }
  }

  async read(s: Storage, bytes = s.bytes): Promise<ArrayBuffer> {
    this.check();
    const { pooled, offset } = s as GpuStorage;
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({
      label: `kiln:readback#${pooled.id}`,
      size: Math.max(4, size),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder({ label: 'kiln:step' });
    this.encoder.copyBufferToBuffer(pooled.buffer, offset, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.check();
      throw e;
    }
    const out = staging.getMappedRange().slice(0, bytes);
    staging.destroy();
    this.check();
    return out;
  }

  run(call: KernelCall): void {
    const tuned = call.kernel === 'matmul' || call.kernel === 'convGemm';
    this.dispatch(tuned ? this.tuner.resolve(call as MatmulCall) : call);
  }

  /**
   * Times each matmul variant on the shapes launched since the last call, on scratch buffers, and
   * keeps the fastest per shape. Takes a few milliseconds per shape on a GPU and up to a few
   * hundred on a CPU adapter, once per shape and adapter in a process.
   */
  async tune(): Promise<void> {
    if (!this.tuner.pendingShapes.length) return;
    await this.tuner.tune(async (call) => {
      const buffers: Record<string, Storage> = {};
      for (const [name, s] of Object.entries(call.buffers)) {
        buffers[name] = this.alloc(s.bytes);
        // Defined values: leftover bits could hold denormals, which CPU adapters run slowly.
        this.dispatch({
          kernel: 'fill',
          buffers: { dst: buffers[name] },
          params: { n: s.bytes / 4, value: 1 },
        });
      }
      const timed = { ...call, buffers };
      const seconds = async (reps: number) => {
        const start = performance.now();
        for (let i = 0; i < reps; i++) this.dispatch(timed);
        await this.sync();
        return (performance.now() - start) / 1000 / reps;
      };
      await seconds(1); // compiles the pipeline
      const once = await seconds(1);
      // Repeat launches in one submission until a batch takes ~10 ms, so submission costs little.
      const reps = Math.min(64, Math.ceil(0.01 / Math.max(once, 1e-6)));
      const best = reps <= 1 ? once : Math.min(await seconds(reps), await seconds(reps));
      for (const s of Object.values(buffers)) this.free(s);
      return best;
    });
  }

  private dispatch(call: KernelCall): void {
    this.check();
    // Before the uniform: a flush resets the arena that a dynamic call's params are written into.
    if (this.profiler?.full) this.flush();
    const def = KERNELS[call.kernel];
    const { module, defs } = this.shader(def.family);
    const pipeline = this.pipeline(call, module);
    const uniformName = 'uniform' in def ? def.uniform : 'p';
    const uniform = this.uniform(call, defs, uniformName);
    const entries: GPUBindGroupEntry[] = [
      {
        binding: defs.uniforms[uniformName].binding,
        resource: { buffer: uniform.buffer, offset: uniform.offset, size: uniform.size },
      },
    ];
    let key = `${call.kernel}|${JSON.stringify(call.constants ?? {})}|${uniform.key}`;
    for (const name in call.buffers) {
      const { pooled, offset, span } = call.buffers[name] as GpuStorage;
      pooled.lastUse = this.serial;
      const binding = defs.storages[name]?.binding;
      if (binding === undefined) throw new Error(`kernel ${call.kernel} has no buffer named ${name}`);
      entries.push({ binding, resource: { buffer: pooled.buffer, offset, size: span } });
      // A slice and its whole buffer can share an offset: the span tells their bindings apart.
      key += `|${name}=${pooled.id}@${offset}+${span}`;
    }
    let group = this.bindGroups.get(key);
    if (!group) {
      group = this.device.createBindGroup({
        label: `kiln:${call.kernel}`,
        layout: pipeline.getBindGroupLayout(0),
        entries,
      });
      this.bindGroups.set(key, group);
    }
    this.encoder ??= this.device.createCommandEncoder({ label: 'kiln:step' });
    if (this.profiler) {
      // Profiling times each dispatch in a pass of its own, named by kernel and constants.
      this.endPass();
      const label = `${call.kernel}${call.constants ? ` ${JSON.stringify(call.constants)}` : ''}`;
      this.pass = this.encoder.beginComputePass({
        label,
        timestampWrites: this.profiler.passTimestamps(label),
      });
    }
    this.pass ??= this.encoder.beginComputePass({ label: 'kiln:pass' });
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, group);
    const [x, y, z] = def.grid(call.params, call.constants ?? {});
    this.pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
  }

  /** Starts timing every dispatch (needs the adapter's timestamp-query feature). */
  startProfiling(): void {
    this.check();
    this.profiler ??= new Profiler(this.device);
  }

  /** GPU time per kernel since startProfiling(), largest first. */
  async profile(): Promise<KernelTime[]> {
    if (!this.profiler) throw new Error('profiling was not started');
    await this.sync();
    return this.profiler.report();
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const afterSubmit = this.profiler?.resolveInto(this.encoder);
    const a = this.arena;
    // Ordered after every earlier submission and before this one, as the recorded calls expect.
    if (a.used) this.device.queue.writeBuffer(a.buffer, 0, a.host, 0, a.used);
    a.used = 0;
    this.device.queue.submit([this.encoder.finish()]);
    afterSubmit?.();
    this.encoder = null;
    this.serial++;
    this.submissions++;
    // Submitted work keeps what it uses until it completes, so these can go now.
    for (const b of this.retiring) b.destroy();
    this.retiring.length = 0;
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  memory(): MemoryInfo {
    return { bytesInUse: this.inUse, bytesPooled: this.pooled, buffers: this.buffers.size };
  }

  /** Entries in the uniform buffer and bind group caches (each at most `cacheEntries`). */
  get cached(): { uniforms: number; bindGroups: number } {
    return { uniforms: this.uniforms.size, bindGroups: this.bindGroups.size };
  }

  /** Submits what is recorded, then destroys every pooled buffer and empties the caches. */
  trim(): void {
    this.check();
    this.flush();
    this.shrinkPool(0);
    this.uniforms.clear();
    this.bindGroups.clear();
  }

  /**
   * Submits what is recorded, then destroys every buffer this backend made (tensors' storage too)
   * and drops its caches. The device stays its acquirer's; later calls throw.
   */
  dispose(): void {
    if (this.disposed) return;
    if (!this.lost) this.flush();
    this.disposed = true;
    for (const b of this.buffers) b.buffer.destroy();
    this.uniforms.clear();
    for (const b of this.retiring) b.destroy();
    this.arena.buffer.destroy();
    this.device.removeEventListener('uncapturederror', this.onError);
    this.profiler?.destroy();
    this.profiler = null;
    this.buffers.clear();
    this.free_.clear();
    this.idle.clear();
    this.retiring.length = 0;
    this.bindGroups.clear();
    this.pipelines.clear();
    this.modules.clear();
    this.views.clear();
    this.inUse = 0;
    this.pooled = 0;
  }

  private check(): void {
    if (this.disposed) throw new Error('the WebGPU backend was disposed');
    if (this.lost) throw this.lost;
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw e;
    }
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private shader(family: ShaderFamily) {
    let s = this.modules.get(family);
    if (!s) {
      const code = shaderSource(family, this.subgroups);
      s = {
        module: this.device.createShaderModule({ label: `kiln:${family}.wgsl`, code }),
        defs: makeShaderDataDefinitions(code),
      };
      this.modules.set(family, s);
    }
    return s;
  }

  private pipeline(call: KernelCall, module: GPUShaderModule): GPUComputePipeline {
    const key = `${call.kernel}|${JSON.stringify(call.constants ?? {})}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const constants: Record<string, number> = {};
      for (const [k, v] of Object.entries(call.constants ?? {})) constants[k] = Number(v);
      p = this.device.createComputePipeline({
        label: `kiln:${key}`,
        layout: 'auto',
        compute: { module, entryPoint: KERNELS[call.kernel].entry, constants },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * The uniform binding for a call. Params seen before reuse their buffer; a dynamic call's params
   * take the next slot of the arena, which flush() uploads in one write before submitting, so the
   * optimizer's per-step scalars cost no GPU object per step.
   */
  private uniform(call: KernelCall, defs: ShaderDataDefinitions, name: string): UniformBinding {
    if (call.dynamic) {
      const view = this.uniformView(call.kernel, defs, name, call.params);
      const size = view.arrayBuffer.byteLength;
      const a = this.arena;
      if (a.used + size > a.host.byteLength) this.flush();
      const offset = a.used;
      a.host.set(new Uint8Array(view.arrayBuffer), offset);
      a.used += Math.ceil(size / a.align) * a.align;
      return { buffer: a.buffer, offset, size, key: `arena@${offset}`, lastUse: this.serial };
    }
    const key = `${call.kernel}|${JSON.stringify(call.params)}`;
    let hit = this.uniforms.get(key);
    if (!hit) {
      const view = this.uniformView(call.kernel, defs, name, call.params);
      const buffer = this.device.createBuffer({
        label: `kiln:uniform:${call.kernel}`,
        size: view.arrayBuffer.byteLength,
        usage: GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(view.arrayBuffer));
      buffer.unmap();
      hit = { buffer, offset: 0, size: view.arrayBuffer.byteLength, key: `u${nextId++}`, lastUse: 0 };
      this.uniforms.set(key, hit);
    }
    hit.lastUse = this.serial;
    return hit;
  }

  /** The kernel's uniform struct filled with `params` (fields not given are zero). */
  private uniformView(kernel: string, defs: ShaderDataDefinitions, name: string, params?: KernelParams) {
    let view = this.views.get(kernel);
    if (!view) {
      view = makeStructuredView(defs.uniforms[name]);
      this.views.set(kernel, view);
    }
    new Uint8Array(view.arrayBuffer).fill(0);
    view.set(params);
    return view;
  }
}
