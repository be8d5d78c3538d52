/**
 * Helpers shared by the tests: long histories, an event-file reader written independently of the
 * writer under test (TFRecord framing with both CRCs checked, and a minimal protobuf wire-format
 * decoder), and a tiny character-level GPT trained for a few steps, as weights or as a text run's
 * checkpoint.
 */
import { expect } from 'vitest';
import { F } from '../autograd';
import { buildModel, type HostTensor, type ModelSpec, parseSpec } from '../nn';
import { Adam } from '../optim';
import { CpuBackend } from '../tensor/cpu';
import { defaultGenerator, getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { Generator } from '../tensor/random';
import { tidy } from '../tensor/tensor';
import { encodeCheckpoint, type Scalar } from './checkpoint';
import { DEFAULT_CONFIG } from './config';
import { encode } from './generate';
import { maskedCrc32c } from './tensorboard';

/** The tiny GPT's vocabulary (id i is TINY_VOCAB[i]) and the text it learns. */
export const TINY_VOCAB = '\n abdehilnorw';
const TINY_TEXT = 'hello world\nhi here world\nhello bird\n'.repeat(8);
/** The tiny GPT's block size. */
export const TINY_BLOCK = 8;

/** A one-block GPT over TINY_VOCAB (nanoGPT's names: wte, wpe, h.0..., ln_f, lm_head), 2 heads of 6. */
export const tinyGptSpec = (vocab = TINY_VOCAB, blockSize = TINY_BLOCK): ModelSpec =>
  parseSpec(
    `wte=embedding:${vocab.length}:12,wpe=posembed,h=repeat:1(residual(ln_1=layernorm,attn=attn:2),residual(ln_2=layernorm,linear:48,gelu,linear:12)),ln_f=layernorm,lm_head=linear:${vocab.length}`,
    [blockSize],
    'gpt',
    'int32',
  );

/**
 * The tiny GPT's weights after 100 Adam steps (lr 1e-2, batches of 8 random windows) on cpu: it
 * has learnt the text's words, so its samples are not noise. Trained once per test file (1-2 s);
 * the default backend is left as it was.
 */
export function tinyGptWeights(): Promise<Map<string, HostTensor>> {
  trained ??= trainTinyGpt();
  return trained;
}

let trained: Promise<Map<string, HostTensor>> | undefined;

async function trainTinyGpt(): Promise<Map<string, HostTensor>> {
  const saved = getDefaultBackend();
  const cpu = new CpuBackend();
  setDefaultBackend(cpu);
  try {
    manualSeed(0);
    const model = buildModel(tinyGptSpec());
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const ids = encode(TINY_VOCAB, TINY_TEXT);
    const g = new Generator(3);
    const T = TINY_BLOCK;
    for (let step = 0; step < 100; step++) {
      const starts = Array.from({ length: 8 }, () => g.int(ids.length - T - 1));
      const window = (shift: number) =>
        ops.tensor(cpu, Int32Array.from(starts.flatMap((s) => ids.slice(s + shift, s + shift + T))), [8, T]);
      tidy(() => {
        F.crossEntropy(model.forward(window(0)), window(1)).backward();
        opt.step();
        opt.zeroGrad();
      });
    }
    return await model.stateDictData();
  } finally {
    setDefaultBackend(saved);
  }
}

/**
 * A full checkpoint of the tiny GPT as a text run writes one (its vocabulary in the metadata),
 * its optimizer state left out; `vocab: null` leaves the vocabulary out too.
 */
export async function tinyGptCheckpoint(vocab: string | null = TINY_VOCAB): Promise<Uint8Array> {
  return checkpointOf(tinyGptSpec(), await tinyGptWeights(), vocab ?? undefined);
}

/** A full checkpoint of a model with these weights (optimizer state left out), 100 steps into a run. */
export function checkpointOf(spec: ModelSpec, weights: Map<string, HostTensor>, vocab?: string): Uint8Array {
  const generator = defaultGenerator.getState();
  return encodeCheckpoint(
    weights,
    { state: {}, param_groups: [] },
    {
      epoch: 0,
      globalStep: 100,
      loss: null,
      scheduler: null,
      generator,
      loader: { generator, batch: 0 },
      trainSamples: TINY_TEXT.length,
      config: DEFAULT_CONFIG,
      spec,
      ...(vocab === undefined ? {} : { vocab }),
    },
  );
}

/** Splits an event file into records, checking both masked CRCs of each as TensorBoard's reader does. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    expect(view.getUint32(at + 8, true)).toBe(maskedCrc32c(bytes.subarray(at, at + 8)));
    const data = bytes.subarray(at + 12, at + 12 + length);
    expect(view.getUint32(at + 12 + length, true)).toBe(maskedCrc32c(data));
    records.push(data);
    at += 16 + length;
  }
  expect(at).toBe(bytes.length);
  return records;
}

/** One protobuf field as read off the wire. */
export type Field = {
  field: number;
  varint?: bigint;
  fixed64?: DataView;
  fixed32?: DataView;
  bytes?: Uint8Array;
};

/** A minimal protobuf wire-format reader, written independently of the encoder under test. */
export function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[at++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const view = (n: number) => new DataView(bytes.buffer, bytes.byteOffset + (at += n) - n, n);
    switch (key & 7) {
      case 0:
        fields.push({ field, varint: varint() });
        break;
      case 1:
        fields.push({ field, fixed64: view(8) });
        break;
      case 5:
        fields.push({ field, fixed32: view(4) });
        break;
      case 2: {
        const n = Number(varint());
        fields.push({ field, bytes: bytes.subarray(at, (at += n)) });
        break;
      }
      default:
        throw new Error(`unexpected wire type ${key & 7}`);
    }
  }
  return fields;
}

/** A HistogramProto's fields (tensorboard/compat/proto/summary.proto), absent ones as proto3 reads them. */
export interface HistogramValue {
  tag: string;
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

function readHistogram(tag: string, bytes: Uint8Array): HistogramValue {
  const h: HistogramValue = {
    tag,
    min: 0,
    max: 0,
    num: 0,
    sum: 0,
    sumSquares: 0,
    bucketLimit: [],
    bucket: [],
  };
  const doubles = (b: Uint8Array) =>
    Array.from({ length: b.length / 8 }, (_, i) =>
      new DataView(b.buffer, b.byteOffset + 8 * i, 8).getFloat64(0, true),
    );
  const scalar = ['', 'min', 'max', 'num', 'sum', 'sumSquares'] as const;
  for (const f of readFields(bytes)) {
    if (f.field >= 1 && f.field <= 5) h[scalar[f.field] as 'min'] = f.fixed64!.getFloat64(0, true);
    else if (f.field === 6) h.bucketLimit.push(...doubles(f.bytes!));
    else if (f.field === 7) h.bucket.push(...doubles(f.bytes!));
    else throw new Error(`unexpected HistogramProto field ${f.field}`);
  }
  return h;
}

/** A text summary as TensorBoard's text plugin reads it: the tag, the plugin named, the tensor's dtype, shape and strings. */
export interface TextValue {
  tag: string;
  plugin: string;
  dtype: number;
  shape: number[];
  strings: string[];
}

function readText(tag: string, tensor: Uint8Array, metadata: Uint8Array | undefined): TextValue {
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const pluginData = metadata && readFields(metadata).find((f) => f.field === 1)?.bytes;
  const plugin = pluginData ? decode(readFields(pluginData).find((f) => f.field === 1)!.bytes!) : '';
  const fields = readFields(tensor);
  const shape = fields.find((f) => f.field === 2);
  return {
    tag,
    plugin,
    dtype: Number(fields.find((f) => f.field === 1)?.varint ?? 0n),
    shape: shape
      ? readFields(shape.bytes!)
          .filter((d) => d.field === 2)
          .map((d) => Number(readFields(d.bytes!).find((g) => g.field === 1)?.varint ?? 0n))
      : [],
    strings: fields.filter((f) => f.field === 8).map((f) => decode(f.bytes!)),
  };
}

/** Decodes an Event into plain values: wall_time, step, file_version, and scalar, histogram and text summaries. */
export function readEvent(bytes: Uint8Array) {
  const event = {
    wallTime: 0,
    step: 0n,
    fileVersion: '',
    scalars: [] as { tag: string; value: number }[],
    histograms: [] as HistogramValue[],
    texts: [] as TextValue[],
  };
  for (const f of readFields(bytes)) {
    if (f.field === 1) event.wallTime = f.fixed64!.getFloat64(0, true);
    else if (f.field === 2) event.step = BigInt.asIntN(64, f.varint!);
    else if (f.field === 3) event.fileVersion = new TextDecoder().decode(f.bytes);
    else if (f.field === 5) {
      for (const value of readFields(f.bytes!)) {
        const inner = readFields(value.bytes!);
        const tag = new TextDecoder().decode(inner.find((g) => g.field === 1)!.bytes);
        const histo = inner.find((g) => g.field === 5);
        const tensor = inner.find((g) => g.field === 8);
        if (histo) event.histograms.push(readHistogram(tag, histo.bytes!));
        else if (tensor)
          event.texts.push(readText(tag, tensor.bytes!, inner.find((g) => g.field === 9)?.bytes));
        else
          event.scalars.push({ tag, value: inner.find((g) => g.field === 2)!.fixed32!.getFloat32(0, true) });
      }
    } else throw new Error(`unexpected Event field ${f.field}`);
  }
  return event;
}

/** A history of n points, NaN and the infinities at 7, 8 and 9. */
export const longHistory = (n: number): Scalar[] =>
  Array.from({ length: n }, (_, i) => ({
    tag: i % 2 ? 'learning_rate' : 'Loss/train',
    value: i === 7 ? Number.NaN : i === 8 ? Number.POSITIVE_INFINITY : i === 9 ? -Infinity : 1 / (i + 1),
    step: i,
    wallTime: 1.7e12 + i,
  }));

/*
 * An independent reader of what TensorBoard's HParams plugin reads: each Summary.Value whose
 * metadata names the plugin "hparams", its HParamsPluginData decoded by the field numbers of
 * tensorboard/plugins/hparams/plugin_data.proto and api.proto (not by the encoder's tables).
 */
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const one = (fields: Field[], n: number) => fields.find((f) => f.field === n);
const all = (fields: Field[], n: number) => fields.filter((f) => f.field === n);

/** A google.protobuf.Value: number_value 2, string_value 3, bool_value 4. */
function value(bytes: Uint8Array): number | string | boolean {
  const [f] = readFields(bytes);
  if (f.field === 2) return f.fixed64!.getFloat64(0, true);
  if (f.field === 3) return text(f.bytes);
  if (f.field === 4) return f.varint === 1n;
  throw new Error(`unexpected Value field ${f.field}`);
}

/** One hparams summary as read back: its tag, its step and its HParamsPluginData decoded. */
export interface PluginValue {
  tag: string;
  step: bigint;
  data: Record<string, unknown>;
}

/** Every hparams summary in an event file, decoded. */
export function readHParams(file: Uint8Array): PluginValue[] {
  const out: PluginValue[] = [];
  for (const record of readRecords(file)) {
    const event = readFields(record);
    const step = one(event, 2)?.varint ?? 0n;
    const summary = one(event, 5);
    if (!summary) continue;
    for (const v of readFields(summary.bytes!)) {
      const value_ = readFields(v.bytes!);
      const metadata = one(value_, 9);
      if (!metadata) continue;
      const plugin = readFields(one(readFields(metadata.bytes!), 1)!.bytes!);
      expect(text(one(plugin, 1)!.bytes)).toBe('hparams');
      // TensorBoard's own writer puts a float scalar 0 beside the metadata (NULL_TENSOR).
      const tensor = readFields(one(value_, 8)!.bytes!);
      expect(one(tensor, 1)!.varint).toBe(1n);
      const content = readFields(one(plugin, 2)!.bytes!);
      expect(one(content, 1)).toBeUndefined(); // version 0
      out.push({ tag: text(one(value_, 1)!.bytes), step, data: pluginData(content) });
    }
  }
  return out;
}

function pluginData(content: Field[]): Record<string, unknown> {
  const experiment = one(content, 2);
  if (experiment) {
    const e = readFields(experiment.bytes!);
    return {
      experiment: {
        hparamInfos: all(e, 4).map((h) => {
          const f = readFields(h.bytes!);
          const discrete = one(f, 5);
          const interval = one(f, 6);
          return {
            name: text(one(f, 1)!.bytes),
            type: Number(one(f, 4)!.varint),
            ...(discrete
              ? { discrete: all(readFields(discrete.bytes!), 1).map((x) => value(x.bytes!)) }
              : {}),
            ...(interval
              ? {
                  interval: readFields(interval.bytes!).map((x) => x.fixed64!.getFloat64(0, true)),
                }
              : {}),
          };
        }),
        metricInfos: all(e, 5).map((m) => {
          const f = readFields(m.bytes!);
          const name = readFields(one(f, 1)!.bytes!);
          return {
            group: text(one(name, 1)?.bytes),
            tag: text(one(name, 2)!.bytes),
            datasetType: Number(one(f, 5)?.varint ?? 0n),
          };
        }),
      },
    };
  }
  const start = one(content, 3);
  if (start) {
    const f = readFields(start.bytes!);
    return {
      sessionStart: Object.fromEntries(
        all(f, 1).map((entry) => {
          const kv = readFields(entry.bytes!);
          return [text(one(kv, 1)!.bytes), value(one(kv, 2)!.bytes!)];
        }),
      ),
      startTime: one(f, 5)!.fixed64!.getFloat64(0, true),
    };
  }
  const end = readFields(one(content, 4)!.bytes!);
  return {
    sessionEnd: Number(one(end, 1)?.varint ?? 0n),
    endTime: one(end, 2)!.fixed64!.getFloat64(0, true),
  };
}
