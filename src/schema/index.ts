/**
 * One reader for untrusted JSON (share links, checkpoint metadata, IndexedDB records, worker
 * messages). A schema reads an `unknown` into typed data or refuses it with ONE line naming the
 * path as a user would write it (`layers[3].type: "ReLu" is not a layer; did you mean ReLU?`).
 *
 * What it guarantees, so readers need not repeat it: objects come out null-prototype, unknown keys
 * and the keys that reach a prototype (`__proto__`, `constructor`, `prototype`) are refused, lists,
 * strings and maps have a stated maximum size, numbers are finite unless allowed, and recursion has
 * a depth limit. Nothing here spreads a large array or copies a growing one, so a huge input costs
 * one linear pass before it is refused or read.
 */

/** Where a value sits in the document; rendered only when something is refused. */
export type Path = { readonly up: Path; readonly key: string | number } | null;

/** Reads an untrusted value into a `T`, or throws a SchemaError naming where and why. */
export interface Schema<T> {
  read(value: unknown, path: Path): T;
  /** What an absent object field becomes; a field whose schema has none is required. */
  readonly absent?: () => T;
}

/** A schema whose field may be left out of an object (the key is then absent from the result). */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

/** The type a schema reads into: code holding one got it through the schema's checks. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** The fields of an object schema, by key. */
export type Fields = Record<string, Schema<unknown>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<F> = { [K in keyof F]: F[K] extends { optional: true } ? K : never }[keyof F];
type ObjectOf<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & {
    [K in OptionalKeys<F>]?: Exclude<Infer<F[K]>, undefined>;
  }
>;

/** A refused value: `path` as a user writes it (`config.lr`, `history[12]`) and the problem. */
export class SchemaError extends Error {
  override name = 'SchemaError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(path ? `${path}: ${problem}` : problem);
  }
}

/** Reads `value` through `schema`; `root` names the document in messages (`config` -> `config.lr`). */
export function read<T>(schema: Schema<T>, value: unknown, root?: string): T {
  return schema.read(value, root === undefined ? null : { up: null, key: root });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The path as a user writes it: `layers[3].type`, `config["odd key"]`; a deep one keeps its first
 * and last steps around `...`, so the message stays one short line.
 */
function pathText(path: Path): string {
  const steps: string[] = [];
  for (let p = path; p; p = p.up) {
    const k = p.key;
    if (typeof k === 'number') steps.push(`[${k}]`);
    else if (!p.up) steps.push(k);
    else steps.push(IDENTIFIER.test(k) && k.length <= 40 ? `.${k}` : `[${show(k)}]`);
  }
  steps.reverse();
  if (steps.length <= 12) return steps.join('');
  return `${steps.slice(0, 6).join('')}...${steps.slice(-6).join('').replace(/^\./, '')}`;
}

function fail(path: Path, problem: string): never {
  throw new SchemaError(pathText(path), problem);
}

const child = (up: Path, key: string | number): Path => ({ up, key });

/** A value as a message quotes it: short, on one line, never the whole of a large value. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || v === undefined) return String(v);
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/**
 * The candidate closest to `word` ignoring case (edit distance, a swap of neighbours counting as
 * one), or undefined when none is near enough to be the word the user meant.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 64) return undefined;
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(w.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    [before, prev] = [prev, row];
  }
  return prev[b.length];
}

const hint = (word: unknown, candidates: readonly string[]): string => {
  const near = typeof word === 'string' ? didYouMean(word, candidates) : undefined;
  return near === undefined ? '' : `; did you mean ${near}?`;
};

/** Number bounds; `what` replaces the description built from them (`a learning rate`). */
export interface NumberRules {
  min?: number;
  max?: number;
  /** An exclusive lower bound: `above: 0` is "positive". */
  above?: number;
  integer?: boolean;
  /** Let NaN and ±Infinity through (they only arrive by structured clone, never from JSON). */
  nonFinite?: boolean;
  what?: string;
}

function describeNumber(r: NumberRules): string {
  const noun = r.integer ? 'integer' : 'number';
  if (r.min !== undefined && r.max !== undefined)
    return `${r.integer ? 'an' : 'a'} ${noun} from ${r.min} to ${r.max}`;
  if (r.above === 0 || (r.integer && r.min === 1)) return `a positive ${noun}`;
  if (r.min === 0) return `a non-negative ${noun}`;
  if (r.above !== undefined) return `a ${noun} above ${r.above}`;
  if (r.min !== undefined) return `a ${noun} of at least ${r.min}`;
  if (r.max !== undefined) return `a ${noun} of at most ${r.max}`;
  return r.integer ? 'an integer' : r.nonFinite ? 'a number' : 'a finite number';
}

/** A number within `rules`: finite unless `nonFinite`, integers safe ones. */
export function number(rules: NumberRules = {}): Schema<number> {
  const what = rules.what ?? describeNumber(rules);
  return {
    read(v, path) {
      const ok =
        typeof v === 'number' &&
        (rules.nonFinite || Number.isFinite(v)) &&
        (!rules.integer || Number.isSafeInteger(v)) &&
        !(rules.min !== undefined && v < rules.min) &&
        !(rules.max !== undefined && v > rules.max) &&
        !(rules.above !== undefined && v <= rules.above);
      return ok ? v : fail(path, `must be ${what}, got ${show(v)}`);
    },
  };
}

/** A non-negative safe integer: steps, epochs, sizes. */
export const count = (): Schema<number> => number({ min: 0, integer: true });

/** A string of at most `max` characters, matching `pattern` (described by `what`) when given. */
export function string(max: number, rules: { pattern?: RegExp; what?: string } = {}): Schema<string> {
  return {
    read(v, path) {
      if (typeof v !== 'string') fail(path, `must be ${rules.what ?? 'a string'}, got ${show(v)}`);
      if (v.length > max) fail(path, `must be at most ${max} characters long, got ${v.length}`);
      if (rules.pattern && !rules.pattern.test(v))
        fail(path, `must be ${rules.what ?? `a string matching ${rules.pattern}`}, got ${show(v)}`);
      return v;
    },
  };
}

/** true or false. */
export function boolean(): Schema<boolean> {
  return {
    read: (v, path) => (typeof v === 'boolean' ? v : fail(path, `must be true or false, got ${show(v)}`)),
  };
}

/** One of a fixed set of values; `noun` words the refusal (`"ReLu" is not a layer; did you mean ReLU?`). */
export function oneOf<const T extends readonly (string | number | boolean | null)[]>(
  values: T,
  noun?: string,
): Schema<T[number]> {
  const words = values.filter((x): x is string => typeof x === 'string');
  return {
    read(v, path) {
      if (values.includes(v as T[number])) return v as T[number];
      const problem = noun
        ? `${show(v)} is not ${noun}`
        : `must be ${values.length === 1 ? show(values[0]) : `one of ${values.map(show).join(', ')}`}, got ${show(v)}`;
      return fail(path, problem + hint(v, words));
    },
  };
}

/** An instance of a class that structured clone carries (a Float32Array, an ArrayBuffer). */
export function instance<T>(type: abstract new (...args: never[]) => T, what: string): Schema<T> {
  return { read: (v, path) => (v instanceof type ? v : fail(path, `must be ${what}, got ${show(v)}`)) };
}

/** `schema`, or absent from its object. */
export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return { read: (v, path) => schema.read(v, path), absent: () => undefined, optional: true };
}

/** `schema`, or `fallback` when absent from its object. */
export function withDefault<T>(schema: Schema<T>, fallback: T): Schema<T> {
  return { read: (v, path) => schema.read(v, path), absent: () => fallback };
}

/** `schema`, or null. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return { read: (v, path) => (v === null ? null : schema.read(v, path)) };
}

/** Keys that would reach an object's prototype if a later reader copied or assigned them. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function keysOf(v: unknown, path: Path): [Record<string, unknown>, string[]] {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(path, `must be an object, got ${show(v)}`);
  const keys = Object.keys(v);
  for (const k of keys) if (RESERVED.has(k)) fail(child(path, k), `${show(k)} is not allowed as a key`);
  return [v as Record<string, unknown>, keys];
}

/** An object schema, whose fields tagged unions and extensions reuse. */
export interface ObjectSchema<F extends Fields> extends Schema<ObjectOf<F>> {
  readonly fields: F;
}

/** An object with exactly these fields (unknown keys refused), read into a null-prototype object. */
export function object<F extends Fields>(fields: F): ObjectSchema<F> {
  const names = Object.keys(fields);
  return {
    fields,
    read(v, path) {
      const [o, keys] = keysOf(v, path);
      for (const k of keys) {
        if (!Object.hasOwn(fields, k)) {
          const list =
            names.length === 0
              ? ' (no fields are allowed here)'
              : names.length <= 8
                ? ` (the fields are ${names.join(', ')})`
                : '';
          const near = hint(k, names);
          fail(child(path, k), `unknown field${near || list}`);
        }
      }
      const out = Object.create(null);
      for (const k of names) {
        const s = fields[k];
        const at = child(path, k);
        const x = Object.hasOwn(o, k) ? o[k] : undefined;
        const r = x !== undefined ? s.read(x, at) : s.absent ? s.absent() : fail(at, 'missing');
        if (r !== undefined) out[k] = r;
      }
      return out;
    },
  };
}

/** A map from keys (checked by `key`) to values, at most `max` entries, read null-prototype. */
export function record<V>(
  value: Schema<V>,
  max: number,
  key: Schema<string> = string(200),
): Schema<Record<string, V>> {
  return {
    read(v, path) {
      const [o, keys] = keysOf(v, path);
      // Keys before the count, so that a misspelt key is named rather than counted.
      for (const k of keys) key.read(k, child(path, k));
      if (keys.length > max) fail(path, `must have at most ${max} entries, got ${keys.length}`);
      const out: Record<string, V> = Object.create(null);
      for (const k of keys) out[k] = value.read(o[k], child(path, k));
      return out;
    },
  };
}

/** A list of at most `max` items. */
export function array<T>(item: Schema<T>, max: number): Schema<T[]> {
  return {
    read(v, path) {
      if (!Array.isArray(v)) fail(path, `must be a list, got ${show(v)}`);
      if (v.length > max) fail(path, `must have at most ${max} items, got ${v.length}`);
      const out = new Array<T>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = item.read(v[i], child(path, i));
      return out;
    },
  };
}

type Tagged<K extends string, V extends Record<string, Fields>> = {
  [T in keyof V & string]: Simplify<{ [P in K]: T } & ObjectOf<V[T]>>;
}[keyof V & string];

/**
 * One of several object shapes told apart by the string in field `key` (`type`); `noun` words the
 * refusal of an unknown tag, with a suggestion.
 */
export function tagged<K extends string, V extends Record<string, Fields>>(
  key: K,
  variants: V,
  noun: string,
): Schema<Tagged<K, V>> {
  const tags = Object.keys(variants);
  const tag = oneOf(tags, noun);
  const readers = new Map(tags.map((t) => [t, object({ [key]: oneOf([t]), ...variants[t] })]));
  return {
    read(v, path) {
      const [o] = keysOf(v, path);
      const t = tag.read(Object.hasOwn(o, key) ? o[key] : undefined, child(path, key));
      return readers.get(t as string)!.read(v, path) as Tagged<K, V>;
    },
  };
}

/**
 * A schema defined later, for recursion (a block holding layers holding blocks); a value nested
 * deeper than `maxDepth` path steps is refused, so no input can exhaust the stack.
 */
export function lazy<T>(get: () => Schema<T>, maxDepth = 64): Schema<T> {
  return {
    read(v, path) {
      let depth = 0;
      for (let p = path; p; p = p.up) depth++;
      if (depth > maxDepth) fail(path, `is nested too deeply (at most ${maxDepth} levels)`);
      return get().read(v, path);
    },
  };
}

/**
 * `schema`'s value passed through `f`, which may refuse it with `refuse(problem)` (a rule across
 * fields, or a conversion such as a config's defaults); the refusal names this value's path.
 */
export function map<T, U>(
  schema: Schema<T>,
  f: (value: T, refuse: (problem: string) => never) => U,
): Schema<U> {
  return { read: (v, path) => f(schema.read(v, path), (problem) => fail(path, problem)) };
}

/** A JSON value, as `json()` reads it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Any JSON value within limits (finite numbers, strings and lists of at most `max`, objects of at
 * most `max` keys, read null-prototype, nesting at most 64 deep), for data whose own reader checks
 * the values (a config's defaults and ranges, a scheduler's state).
 */
export function json(max = 10_000): Schema<Json> {
  const text = string(max);
  const finite = number();
  const value: Schema<Json> = lazy(() => ({
    read(v, path) {
      if (v === null || typeof v === 'boolean') return v;
      if (typeof v === 'number') return finite.read(v, path);
      if (typeof v === 'string') return text.read(v, path);
      return Array.isArray(v) ? list.read(v, path) : entries.read(v, path);
    },
  }));
  const list = array(value, max);
  const entries = record(value, max, text);
  return value;
}
