/**
 * Every file format Kiln reads, fed damaged copies of valid files (bit flips, truncation, appended
 * garbage, edited headers), arbitrary bytes, and a checkpoint's metadata JSON edited as a structure
 * (a key dropped, an unknown or a prototype key added, a type changed, a value nested deep or
 * repeated past every limit). Each case must either read to a result consistent
 * with its bytes (a flipped pixel is still a valid image) or be refused with the format's own error
 * and a one-line message: never a RangeError or TypeError, and a header that claims gigabytes is
 * refused before anything that size is allocated or inflated. Seeds are fixed, so the counts
 * printed at the end are the same on every run.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, readCsv } from '../data/csv';
import { SyntheticDataset } from '../data/dataset';
import { DatasetError } from '../data/errors';
import { readIdx } from '../data/idx';
import { makeIdx } from '../data/testing';
import type { TabularDataset } from '../data/types';
import type { ModelSpec } from '../nn/spec';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import { CHECKPOINT_KEY, CheckpointError, MAX_HISTORY, parseCheckpoint } from './checkpoint';
import { DEFAULT_CONFIG, resolveConfig } from './config';
import { tensorData } from './data';
import { Run } from './run';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsTensor,
} from './safetensors';
import { safetensorsToStateDict, stateDictToSafetensors } from './state_dict';

/** Runs per property: enough to reach every branch of the readers, few enough for a busy 2-core box. */
const RUNS = 500;

/** Cases tried and refused, per format, for the summary (and the README's count). */
const tally: Record<string, { tried: number; refused: number }> = {};

afterAll(() => {
  const rows = Object.entries(tally).map(([f, t]) => `${f}: ${t.tried} tried, ${t.refused} refused`);
  const tried = Object.values(tally).reduce((a, t) => a + t.tried, 0);
  const refused = Object.values(tally).reduce((a, t) => a + t.refused, 0);
  console.log(
    `bad files: ${tried} tried, ${refused} refused cleanly, the rest read consistently\n  ${rows.join('\n  ')}`,
  );
});

/**
 * Reads damaged input: a refusal must be an instance of one of `errors`, with a one-line message; a result
 * goes to `check`. Returns whether it was refused.
 */
async function readOrRefuse<T>(
  format: string,
  errors: (new (...args: never[]) => Error)[],
  read: () => T | Promise<T>,
  check: (result: T) => void,
): Promise<boolean> {
  const t = (tally[format] ??= { tried: 0, refused: 0 });
  t.tried++;
  let result: T;
  try {
    result = await read();
  } catch (e) {
    expect(
      errors.some((error) => e instanceof error),
      String(e),
    ).toBe(true);
    const { message } = e as Error;
    expect(message).toMatch(/^[^\n\r]+$/);
    expect(message.length).toBeLessThan(400);
    t.refused++;
    return true;
  }
  check(result);
  return false;
}

/** Damage to a valid file: bits flipped, then cut short or not, then bytes appended. */
const damage = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
  cut: fc.option(fc.nat()),
  extra: fc.uint8Array({ maxLength: 8 }),
});

function damaged(valid: Uint8Array, d: { flips: [number, number][]; cut: number | null; extra: Uint8Array }) {
  const bytes = valid.slice();
  for (const [at, bit] of d.flips) bytes[at % bytes.length] ^= 1 << bit;
  const kept = d.cut === null ? bytes : bytes.subarray(0, d.cut % (bytes.length + 1));
  const out = new Uint8Array(kept.length + d.extra.length);
  out.set(kept);
  out.set(d.extra, kept.length);
  return out;
}

/** Asserts a property over `RUNS` cases from a fixed seed, and that the damage was refused at least once. */
async function refusesSome<T>(arb: fc.Arbitrary<T>, run: (value: T) => Promise<boolean>, seed: number) {
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      if (await run(v)) refused++;
    }),
    { numRuns: RUNS, seed },
  );
  expect(refused).toBeGreaterThan(0);
}

describe('IDX', () => {
  const images = makeIdx(
    [4, 3, 3],
    Array.from({ length: 36 }, (_, i) => i * 7),
  );
  const gz = new Uint8Array(gzipSync(images));

  const idx = (format: string, bytes: Uint8Array) =>
    readOrRefuse(
      format,
      [DatasetError],
      () => readIdx(bytes, 'fuzz'),
      (parsed) => {
        expect(parsed.data.length).toBe(parsed.shape.reduce((a, b) => a * b, 1));
        if (bytes.length === images.length && bytes.every((b, i) => b === images[i])) {
          expect(parsed.data).toEqual(images.subarray(16));
        }
      },
    );

  it('damaged files', () => refusesSome(damage, (d) => idx('IDX', damaged(images, d)), 1));

  it('any shape in the header, with too little or too much data', () =>
    refusesSome(
      fc.tuple(fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 6 }), fc.uint8Array({ maxLength: 64 })),
      ([shape, data]) => idx('IDX', makeIdx(shape, data)),
      2,
    ));

  it('arbitrary bytes', () => refusesSome(fc.uint8Array({ maxLength: 64 }), (b) => idx('IDX', b), 3));

  it('damaged gzip', () => refusesSome(damage, (d) => idx('IDX (gzip)', damaged(gz, d)), 4));

  it('gzip whose data runs past the header, or whose header declares any shape', () =>
    refusesSome(
      fc.tuple(fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 4 }), fc.nat({ max: 1 << 16 })),
      ([shape, extra]) => {
        const file = makeIdx(shape, []);
        const body = new Uint8Array(file.length + extra);
        body.set(file);
        return idx('IDX (gzip)', new Uint8Array(gzipSync(body)));
      },
      5,
    ));
});

describe('CSV', () => {
  const text = 'label,a,b,c\n0,1.5,-2,3e2\n2,0,.5,7\n1,4,5,6\n';
  const bytes = new TextEncoder().encode(text);
  const original = parseCsv(text, 'fuzz', { name: 'fuzz' });

  const consistent = (ds: TabularDataset) => {
    expect(ds.features.length).toBe(ds.count * ds.numFeatures);
    expect(ds.features.every(Number.isFinite)).toBe(true);
    expect(ds.labels.every((l) => l >= 0 && l < ds.numClasses)).toBe(true);
  };
  const csv = (bytes: Uint8Array) =>
    readOrRefuse('CSV', [DatasetError], () => readCsv(bytes, 'fuzz.csv', { name: 'fuzz' }), consistent);

  it('damaged files', () => refusesSome(damage, (d) => csv(damaged(bytes, d)), 6));

  it('edits that keep it text: cells, separators and lines changed', () => {
    const piece = fc.constantFrom(
      ',',
      '\n',
      '\r',
      ';',
      '\t',
      '"',
      ' ',
      'x',
      '0x1',
      '-',
      '.',
      'e9',
      '1e39',
      '',
      '∞',
    );
    return refusesSome(
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), piece), { minLength: 1, maxLength: 3 }),
      (edits) => {
        let s = text;
        for (const [at, cut, p] of edits) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + p + s.slice(i + cut);
        }
        return readOrRefuse(
          'CSV',
          [DatasetError],
          () => parseCsv(s, 'fuzz.csv', { name: 'fuzz' }),
          (ds) => {
            consistent(ds);
            if (s === text) expect(ds).toEqual(original);
          },
        );
      },
      7,
    );
  });

  it('damaged gzip', () => {
    const gz = new Uint8Array(gzipSync(bytes));
    return refusesSome(damage, (d) => csv(damaged(gz, d)), 8);
  });

  it('arbitrary bytes', () => refusesSome(fc.uint8Array({ maxLength: 64 }), csv, 9));
});

describe('safetensors and state dicts', () => {
  const arrays = {
    F32: Float32Array,
    I64: BigInt64Array,
    I32: Int32Array,
    U8: Uint8Array,
    F64: Float64Array,
  };
  const tensor = fc
    .record({
      dtype: fc.constantFrom(...(Object.keys(arrays) as (keyof typeof arrays)[])),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      seed: fc.integer(),
    })
    .map(({ dtype, shape, seed }): SafetensorsTensor => {
      const n = shape.reduce((a, b) => a * b, 1);
      const raw = Uint8Array.from(
        { length: n * arrays[dtype].BYTES_PER_ELEMENT },
        (_, i) => (seed * 31 + i * 17) & 255,
      );
      return { dtype, shape, data: new arrays[dtype](raw.buffer) };
    });
  const validFile = fc
    .dictionary(fc.constantFrom('fc1.weight', 'fc1.bias', 'bn.running_mean', 'x', '0.w'), tensor, {
      maxKeys: 4,
    })
    .map((tensors) => encodeSafetensors(tensors, { epoch: '3' }));

  /** Decodes damaged bytes; a result must re-encode to the same tensors, each sized to its shape. */
  const safetensors = (bytes: Uint8Array) =>
    readOrRefuse(
      'safetensors',
      [SafetensorsError],
      () => decodeSafetensors(bytes),
      (file) => {
        for (const t of Object.values(file.tensors))
          expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(decodeSafetensors(encodeSafetensors(file.tensors, file.metadata)).tensors).toEqual(
          file.tensors,
        );
      },
    );

  it('damaged files', () =>
    refusesSome(fc.tuple(validFile, damage), ([f, d]) => safetensors(damaged(f, d)), 10));

  it('header edits that keep it plausible JSON', () => {
    const ch = fc.constantFrom('0', '1', '9', '"', ',', '[', ']', '{', '}', ' ', '-', 'e', '.', 'n', '\n');
    return refusesSome(
      fc.tuple(validFile, fc.nat(), ch),
      ([bytes, at, c]) => {
        const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        bytes[8 + (at % headerLength)] = c.charCodeAt(0);
        return safetensors(bytes);
      },
      11,
    );
  });

  it('any header length', () =>
    refusesSome(
      fc.tuple(validFile, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
      ([bytes, n]) => {
        new DataView(bytes.buffer).setBigUint64(0, n, true);
        return safetensors(bytes);
      },
      12,
    ));

  it('arbitrary bytes', () => refusesSome(fc.uint8Array({ maxLength: 64 }), safetensors, 13));

  it('damaged state dicts', () => {
    const sd = stateDictToSafetensors(
      new Map([
        [
          'fc.weight',
          { shape: [2, 3], dtype: 'float32' as const, data: Float32Array.of(1, -2, 3.5, 0, 1e-3, 7) },
        ],
        ['fc.bias', { shape: [2], dtype: 'float32' as const, data: Float32Array.of(0.25, -1) }],
        ['bn.num_batches_tracked', { shape: [], dtype: 'int32' as const, data: Int32Array.of(12) }],
      ]),
    );
    return refusesSome(
      damage,
      (d) =>
        readOrRefuse(
          'state dict',
          [SafetensorsError],
          () => safetensorsToStateDict(damaged(sd, d)),
          (map) => {
            for (const t of map.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
          },
        ),
      14,
    );
  });
});

describe('checkpoints', () => {
  it('damaged checkpoints', async () => {
    const backend = new CpuBackend();
    setDefaultBackend(backend);
    const spec: ModelSpec = {
      name: 'Tiny',
      inputShape: [3],
      layers: [{ type: 'Linear', name: 'fc', inFeatures: 3, outFeatures: 2 }],
    };
    const data = new SyntheticDataset(backend, { numSamples: 8, inputFeatures: 3, numClasses: 2 });
    const run = Run.create(spec, { ...DEFAULT_CONFIG, optimizer: 'adam' }, tensorData('s', data, data, 's'));
    const valid = await run.checkpoint();
    await refusesSome(
      damage,
      (d) =>
        readOrRefuse(
          'checkpoint',
          [CheckpointError, SafetensorsError],
          () => parseCheckpoint(damaged(valid, d)),
          (ckpt) => {
            expect(ckpt.meta.spec.layers.length).toBeGreaterThan(0);
          },
        ),
      15,
    );

    // The metadata JSON mutated as a structure: every edit is refused in one line or read exactly.
    const file = decodeSafetensors(valid);
    const meta = JSON.parse(file.metadata[CHECKPOINT_KEY]);
    await refusesSome(
      mutation,
      (m) => {
        const text = JSON.stringify(mutate(meta, m));
        const edited = JSON.parse(text);
        return readOrRefuse(
          'checkpoint metadata',
          [CheckpointError],
          () =>
            parseCheckpoint(encodeSafetensors(file.tensors, { ...file.metadata, [CHECKPOINT_KEY]: text })),
          (ckpt) =>
            expect(ckpt.meta).toEqual({
              ...edited,
              config: resolveConfig(edited.config),
              ...(edited.history && { history: scalars(edited.history) }),
            }),
        );
      },
      16,
    );
    // A history past its limit is refused with the limit named, not read point by point.
    const long = { ...meta, history: Array.from({ length: MAX_HISTORY + 1 }, () => meta.history?.[0] ?? 0) };
    expect(() =>
      parseCheckpoint(
        encodeSafetensors(file.tensors, { ...file.metadata, [CHECKPOINT_KEY]: JSON.stringify(long) }),
      ),
    ).toThrow(`checkpoint metadata: history: must have at most ${MAX_HISTORY} items, got ${MAX_HISTORY + 1}`);
  });
});

/** A history as written (columns, non-finite values by name, or an older list of scalars) as the scalars it stands for. */
function scalars(h: Record<string, unknown[]> | unknown[]): unknown[] {
  if (Array.isArray(h)) return h;
  return h.tag.map((t, i) => ({
    tag: h.tags[t as number],
    value: typeof h.value[i] === 'string' ? Number(h.value[i]) : h.value[i],
    step: h.step[i],
    wallTime: h.wallTime[i],
  }));
}

/** One structural edit of a JSON document, at the `at`-th place (modulo the places there are). */
const mutation = fc.record({
  kind: fc.constantFrom('drop', 'unknown', 'reserved', 'retype', 'nest', 'huge'),
  at: fc.nat(),
  key: fc.string({ maxLength: 8 }),
  reserved: fc.constantFrom('__proto__', 'constructor', 'prototype'),
  value: fc.jsonValue({ maxDepth: 2 }),
  depth: fc.integer({ min: 1, max: 2000 }),
});

type Container = Record<string, unknown> | unknown[];
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** Every value below `v`, as its container and key. */
function places(v: unknown, out: [Container, string][] = []): [Container, string][] {
  if (isContainer(v))
    for (const [k, x] of Object.entries(v)) {
      out.push([v, k]);
      places(x, out);
    }
  return out;
}

/** A copy of `doc` with `m` applied. */
function mutate(doc: unknown, m: typeof mutation extends fc.Arbitrary<infer M> ? M : never): unknown {
  const root = structuredClone(doc);
  const all = places(root);
  const [parent, key] = all[m.at % all.length];
  const objects = [root, ...all.map(([p, k]) => (p as Record<string, unknown>)[k])].filter(
    (v): v is Record<string, unknown> => isContainer(v) && !Array.isArray(v),
  );
  const target = objects[m.at % objects.length];
  const slot = parent as Record<string, unknown>;
  switch (m.kind) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete slot[key];
      break;
    case 'unknown':
      target[m.key] = m.value;
      break;
    case 'reserved':
      // Defined, not assigned, so that "__proto__" is an own key of the JSON as a file would hold it.
      Object.defineProperty(target, m.reserved, { value: m.value, enumerable: true, writable: true });
      break;
    case 'retype':
      slot[key] = m.value;
      break;
    case 'nest':
      for (let i = 0; i < m.depth; i++) slot[key] = i % 2 ? [slot[key]] : { [key]: slot[key] };
      break;
    case 'huge':
      slot[key] = new Array(70_000).fill(isContainer(slot[key]) ? 0 : slot[key]);
      break;
  }
  return root;
}
