/**
 * Helpers shared by the tests: long histories, an event-file reader written independently of the writer under
 * test (TFRecord framing with both CRCs checked, and a minimal protobuf wire-format decoder).
 */
import { expect } from 'vitest';
import type { Scalar } from './checkpoint';
import { maskedCrc32c } from './tensorboard';

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

type Field = { field: number; varint?: bigint; fixed64?: DataView; fixed32?: DataView; bytes?: Uint8Array };

/** A minimal protobuf wire-format reader, written independently of the encoder under test. */
function readFields(bytes: Uint8Array): Field[] {
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

/** Decodes an Event into plain values: wall_time, step, file_version, and scalar and histogram summaries. */
export function readEvent(bytes: Uint8Array) {
  const event = {
    wallTime: 0,
    step: 0n,
    fileVersion: '',
    scalars: [] as { tag: string; value: number }[],
    histograms: [] as HistogramValue[],
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
        if (histo) event.histograms.push(readHistogram(tag, histo.bytes!));
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
