/**
 * Module and Parameter with PyTorch's semantics: children and parameters are found by walking
 * the module's attributes in the order they were assigned, named with PyTorch's dotted keys
 * (`fc1.weight`); buffers (running statistics) are registered by name; train()/eval() switch
 * modes recursively; stateDict()/loadStateDict() read and write every parameter and buffer.
 */

import type { Backend } from '../tensor/backend';
import { getDefaultBackend } from '../tensor/default';
import { numel, Tensor, type TypedArray } from '../tensor/tensor';

/** A trainable tensor: requires grad and outlives every tidy() scope. */
export class Parameter extends Tensor {
  constructor(t: Tensor) {
    super(t.backend, t.storage, t.shape, t.dtype);
    t.dispose();
    this.requiresGrad = true;
    this.keep();
  }
}

/** One entry of a state dict read back to the host. */
export interface HostTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: TypedArray;
}

/** Raised by loadStateDict when keys or shapes do not match; nothing was changed. */
export class StateDictError extends Error {
  override name = 'StateDictError';
}

/** Base class of every layer and model. */
export abstract class Module {
  /** True in training mode (dropout active, batch statistics), false after eval(). */
  training = true;
  private readonly buffers_ = new Map<string, Tensor>();
  private readonly modules_ = new Map<string, Module>();

  /** Computes the output. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /**
   * The name messages give this module, PyTorch's class name by default. A minifier renames
   * classes, so a module the page shows (a model from a spec) names itself.
   */
  get typeName(): string {
    return this.constructor.name;
  }

  /** The backend for new parameters. */
  protected get backend(): Backend {
    return getDefaultBackend();
  }

  /** Registers a child under a name (what nn.Sequential does with indices). */
  registerModule(name: string, m: Module): void {
    this.modules_.set(name, m);
  }

  /** Registers a non-trainable tensor saved in the state dict, e.g. running_mean. */
  registerBuffer(name: string, t: Tensor): void {
    this.buffers_.get(name)?.dispose();
    this.buffers_.set(name, t.keep());
  }

  /** A registered buffer. */
  buffer(name: string): Tensor {
    const b = this.buffers_.get(name);
    if (!b) throw new Error(`no buffer named ${name}`);
    return b;
  }

  /** Direct children, in registration order. */
  *namedChildren(): Generator<[string, Module]> {
    yield* this.modules_;
    for (const [k, v] of Object.entries(this)) if (v instanceof Module && !this.modules_.has(k)) yield [k, v];
  }

  /** This module (named '') and every descendant with its dotted name, as PyTorch's named_modules(). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k);
  }

  /** This module's own parameters (not its children's). */
  private *ownParameters(): Generator<[string, Parameter]> {
    for (const [k, v] of Object.entries(this)) if (v instanceof Parameter) yield [k, v];
  }

  /**
   * Every parameter with its dotted name, each once: a tied weight under the first name it has,
   * as PyTorch's named_parameters (remove_duplicate), so an optimizer updates it once.
   */
  *namedParameters(prefix = '', seen = new Set<Parameter>()): Generator<[string, Parameter]> {
    for (const [k, p] of this.ownParameters()) {
      if (seen.has(p)) continue;
      seen.add(p);
      yield [prefix + k, p];
    }
    for (const [k, m] of this.namedChildren()) yield* m.namedParameters(`${prefix}${k}.`, seen);
  }

  /** Every parameter. */
  parameters(): Parameter[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** Every buffer with its dotted name. */
  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [k, b] of this.buffers_) yield [prefix + k, b];
    for (const [k, m] of this.namedChildren()) yield* m.namedBuffers(`${prefix}${k}.`);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const [, m] of this.namedChildren()) m.train(mode);
    return this;
  }

  /** Evaluation mode: dropout off, running statistics used. */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (set to null, PyTorch's default set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Parameters and buffers by key, in PyTorch's order (a module's own, then its children's). */
  stateDict(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [k, p] of this.ownParameters()) out.set(prefix + k, p);
    for (const [k, b] of this.buffers_) out.set(prefix + k, b);
    for (const [k, m] of this.namedChildren())
      for (const [kk, t] of m.stateDict(`${prefix}${k}.`)) out.set(kk, t);
    return out;
  }

  /** The state dict read back to the host. */
  async stateDictData(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [k, t] of this.stateDict())
      out.set(k, { shape: [...t.shape], dtype: t.dtype, data: await t.data() });
    return out;
  }

  /**
   * Copies values into parameters and buffers. With strict (the default) every key must match in
   * name and shape; all problems are listed in one error and nothing is changed.
   */
  loadStateDict(sd: Map<string, HostTensor> | Record<string, HostTensor>, strict = true): void {
    const given = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !given.has(k));
    const unexpected = [...given.keys()].filter((k) => !own.has(k));
    const mismatched: string[] = [];
    for (const [k, t] of own) {
      const g = given.get(k);
      if (!g) continue;
      if (
        g.shape.length !== t.shape.length ||
        g.shape.some((d, i) => d !== t.shape[i]) ||
        g.data.length !== numel(t.shape)
      ) {
        mismatched.push(
          `size mismatch for ${k}: copying a param with shape [${g.shape}] from checkpoint, the shape in current model is [${t.shape}]`,
        );
      }
    }
    const problems = [
      ...(strict && missing.length
        ? [`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(', ')}.`]
        : []),
      ...(strict && unexpected.length
        ? [`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(', ')}.`]
        : []),
      ...mismatched,
    ];
    if (problems.length) {
      throw new StateDictError(
        `Error(s) in loading state_dict for ${this.typeName}:\n\t${problems.join('\n\t')}`,
      );
    }
    for (const [k, t] of own) {
      const g = given.get(k);
      if (!g) continue;
      const data = t.dtype === 'int32' ? Int32Array.from(g.data) : Float32Array.from(g.data);
      t.backend.write(t.storage, data);
    }
    // Every descendant sees its own entries, however deep the load started (host-side mirrors).
    const visit = (m: Module, prefix: string) => {
      const entries = new Map<string, HostTensor>();
      for (const [k, v] of given)
        if (k.startsWith(prefix) && !k.slice(prefix.length).includes('.'))
          entries.set(k.slice(prefix.length), v);
      m.afterLoad(entries);
      for (const [k, c] of m.namedChildren()) visit(c, `${prefix}${k}.`);
    };
    visit(this, '');
  }

  /**
   * Called once loadStateDict has written this module's entries (keys without the prefix), so a
   * module that mirrors a buffer on the host (BatchNorm's step counter) can update the mirror.
   */
  protected afterLoad(_entries: Map<string, HostTensor>): void {}
}
