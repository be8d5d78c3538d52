/**
 * Tensor: a shape, a dtype and storage owned by a backend. Tensors are always contiguous
 * (row-major); views share storage. Memory is owned explicitly: a tensor lives until dispose(),
 * and `tidy(fn)` disposes every tensor created inside fn except what fn returns or keep()s, so a
 * training step's intermediates die with the step while parameters and optimizer state live on.
 */
import type { Backend, DType, Storage } from './backend';

/** The node a non-leaf tensor was produced by; autograd/ fills it in. */
export interface GradNode {
  /** The op's name in the gradient table. */
  op: string;
  inputs: Tensor[];
  /** Whatever the op's gradient rule needs (shapes, constants, saved tensors). */
  saved: Record<string, unknown>;
}

const scopes: Set<Tensor>[] = [];

/** A typed array matching a dtype. */
export type TypedArray = Float32Array | Int32Array;

/** An n-dimensional array on a backend. */
export class Tensor {
  /** Leaf tensors with requiresGrad receive `.grad` from backward(). */
  requiresGrad = false;
  /** The accumulated gradient (kept alive across steps, like a parameter). */
  grad: Tensor | null = null;
  /** How this tensor was computed, when it needs a gradient. */
  gradFn: GradNode | null = null;
  private disposed = false;
  private kept = false;

  constructor(
    readonly backend: Backend,
    /** Replaced only by set_(). */
    public storage: Storage,
    readonly shape: readonly number[],
    readonly dtype: DType = 'float32',
  ) {
    storage.refs++;
    scopes[scopes.length - 1]?.add(this);
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** True once disposed: any use is then an error. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees this tensor's hold on its storage (the storage goes back to the pool with its last view). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gradFn = null;
    if (--this.storage.refs === 0) this.backend.free(this.storage);
  }

  /** Exempts this tensor from the enclosing tidy() scopes; it lives until dispose(). */
  keep(): this {
    this.kept = true;
    for (const s of scopes) s.delete(this);
    return this;
  }

  /** Whether keep() was called. */
  get isKept(): boolean {
    return this.kept;
  }

  /**
   * Makes this tensor share `source`'s storage, like torch's Tensor.set_(source) (the values are
   * source's from now on; copy them first to keep them). Views taken before keep the old storage.
   */
  set_(source: Tensor): this {
    this.assertAlive();
    source.assertAlive();
    if (source.size !== this.size || source.dtype !== this.dtype || source.backend !== this.backend) {
      throw new Error(
        `set_: a [${source.shape}] ${source.dtype} tensor cannot back a [${this.shape}] ${this.dtype} one`,
      );
    }
    const old = this.storage;
    this.storage = source.storage;
    this.storage.refs++;
    if (--old.refs === 0) this.backend.free(old);
    return this;
  }

  /** Another tensor over the same storage with another shape (no copy, not recorded for autograd). */
  alias(shape: readonly number[]): Tensor {
    const resolved = resolveShape(shape, this.size);
    return new Tensor(this.backend, this.storage, resolved, this.dtype);
  }

  /** Reads the values back (waits for queued GPU work). */
  async data(): Promise<TypedArray> {
    this.assertAlive();
    const buf = await this.backend.read(this.storage, this.size * 4);
    return this.dtype === 'int32' ? new Int32Array(buf) : new Float32Array(buf);
  }

  /** The value of a one-element tensor, like torch's item(). */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs a tensor of one element, got shape [${this.shape}]`);
    return (await this.data())[0];
  }

  /** Nested arrays, like torch's tolist(). */
  async tolist(): Promise<unknown> {
    const d = Array.from(await this.data());
    const nest = (off: number, dim: number): unknown => {
      if (dim === this.shape.length) return d[off];
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => nest(off + i * stride, dim + 1));
    };
    return nest(0, 0);
  }

  /** Throws if the tensor was disposed. */
  assertAlive(): void {
    if (this.disposed) throw new Error(`tensor of shape [${this.shape}] used after dispose()`);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape}], dtype=${this.dtype}, backend=${this.backend.name})`;
  }
}

/** Product of a shape's dimensions. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Replaces one -1 in a shape with whatever makes it hold `size` elements. */
export function resolveShape(shape: readonly number[], size: number): number[] {
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  if (free > 1) throw new Error(`view shape [${shape}] has more than one -1`);
  const rest = numel(known);
  const out = shape.map((d) => (d === -1 ? size / rest : d));
  if (numel(out) !== size || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`shape [${shape}] is invalid for a tensor of ${size} elements`);
  }
  return out;
}

/** Anything tidy() can return: the tensors inside survive the scope. */
// biome-ignore lint/suspicious/noConfusingVoidType: a step's callback returns nothing, which is void.
export type Tidyable = Tensor | Tensor[] | Record<string, Tensor> | void | number | null | undefined;

/**
 * Runs fn and disposes every tensor it created, except those it returns (which move to the
 * enclosing scope) and those it keep()s. Like tf.tidy.
 */
export function tidy<T extends Tidyable>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  const survivors = new Set<Tensor>();
  try {
    const result = fn();
    if (result instanceof Tensor) survivors.add(result);
    else if (Array.isArray(result)) for (const t of result) survivors.add(t);
    else if (result && typeof result === 'object') for (const t of Object.values(result)) survivors.add(t);
    return result;
  } finally {
    // On an exception nothing survives: the step's intermediates are freed either way.
    scopes.pop();
    for (const t of scope) if (!survivors.has(t)) t.dispose();
    const parent = scopes[scopes.length - 1];
    if (parent) for (const t of survivors) parent.add(t);
  }
}
