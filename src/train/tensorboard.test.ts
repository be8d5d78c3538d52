import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../tensor/cpu';
import { histograms, readHistograms, tensor } from '../tensor/ops';
import { crc32c, eventFileName, maskedCrc32c, SummaryWriter, tfRecord } from './tensorboard';
import { readEvent, readRecords } from './testing';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the standard check value and RFC 3720 vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('masks as TFRecord does: known masked values, not the formula again', () => {
    // The length field of every event file's first record (24, as 8 little-endian bytes) is
    // followed by a3 7f 4b 22 in files TensorFlow and PyTorch write: its masked CRC-32C.
    expect(maskedCrc32c(Uint8Array.of(24, 0, 0, 0, 0, 0, 0, 0))).toBe(0x224b7fa3);
    // Computed apart from Kiln, with a bitwise CRC-32C (polynomial 0x82F63B78) in Python.
    expect(maskedCrc32c(ascii('123456789'))).toBe(0xc78ab0e5);
    expect(maskedCrc32c(new Uint8Array(0))).toBe(0xa282ead8);
  });
});

describe('SummaryWriter', () => {
  it('starts with the 12 bytes every TensorBoard event file starts with', () => {
    // A 24-byte first Event (wall_time + "brain.Event:2") and its masked length CRC: the well-known
    // signature `18 00 00 00 00 00 00 00 a3 7f 4b 22` of files written by TensorFlow and PyTorch.
    const head = new SummaryWriter(1700000000.5).flush().subarray(0, 12);
    expect(Array.from(head)).toEqual([0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22]);
  });

  it('round-trips scalars through an independent reader', () => {
    const writer = new SummaryWriter(1700000000.25);
    writer.addScalar('loss/train', 0.1, 0, 1700000001.5);
    writer.addScalar('lr', 3e-4, 1234567, 1700000002);
    writer.addScalar('accuracy/välid', Number.NaN, 2 ** 40, 1700000003);
    writer.addScalar('negative step', -1.5, -3, 1700000004);
    const events = readRecords(writer.flush()).map(readEvent);
    expect(events[0]).toEqual({
      wallTime: 1700000000.25,
      step: 0n,
      fileVersion: 'brain.Event:2',
      scalars: [],
      histograms: [],
      texts: [],
    });
    expect(events.slice(1)).toEqual([
      {
        wallTime: 1700000001.5,
        step: 0n,
        fileVersion: '',
        scalars: [{ tag: 'loss/train', value: Math.fround(0.1) }],
        histograms: [],
        texts: [],
      },
      {
        wallTime: 1700000002,
        step: 1234567n,
        fileVersion: '',
        scalars: [{ tag: 'lr', value: Math.fround(3e-4) }],
        histograms: [],
        texts: [],
      },
      {
        wallTime: 1700000003,
        step: 2n ** 40n,
        fileVersion: '',
        scalars: [{ tag: 'accuracy/välid', value: Number.NaN }],
        histograms: [],
        texts: [],
      },
      {
        wallTime: 1700000004,
        step: -3n,
        fileVersion: '',
        scalars: [{ tag: 'negative step', value: -1.5 }],
        histograms: [],
        texts: [],
      },
    ]);
  });

  it('encodes an Event exactly as protobuf does', () => {
    const writer = new SummaryWriter(0);
    writer.addScalar('a', 1, 5, 2);
    const [first, second] = readRecords(writer.flush());
    // file_version = 3, string; a zero wall_time is omitted as proto3 omits defaults.
    expect(Array.from(first)).toEqual([0x1a, 13, ...ascii('brain.Event:2')]);
    // wall_time double 2.0, step 5, summary { value { tag "a", simple_value 1.0f } }
    expect(Array.from(second)).toEqual([
      0x09, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x10, 5, 0x2a, 10, 0x0a, 8, 0x0a, 1, 0x61, 0x15, 0, 0, 0x80, 0x3f,
    ]);
  });

  it('hands back only what is new at each flush, so appending flushes builds one file', () => {
    const writer = new SummaryWriter(1);
    writer.addScalar('x', 1, 1, 1);
    const a = writer.flush();
    expect(writer.flush().length).toBe(0);
    writer.addScalar('x', 2, 2, 2);
    const b = writer.flush();
    const file = new Uint8Array([...a, ...b]);
    expect(
      readRecords(file)
        .map(readEvent)
        .map((e) => e.scalars),
    ).toEqual([[], [{ tag: 'x', value: 1 }], [{ tag: 'x', value: 2 }]]);
  });

  it('writes any tag, value, step and wall time so that a reader gets them back', () => {
    const scalar = fc.record({
      tag: fc.string({ unit: 'grapheme', maxLength: 20 }),
      value: fc.double(),
      step: fc.maxSafeInteger(),
      wallTime: fc.double({ min: 0, max: 2 ** 32, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 5 }), (scalars) => {
        const writer = new SummaryWriter(1);
        for (const s of scalars) writer.addScalar(s.tag, s.value, s.step, s.wallTime);
        const events = readRecords(writer.flush()).slice(1).map(readEvent);
        expect(events).toEqual(
          scalars.map((s) => ({
            wallTime: s.wallTime,
            step: BigInt(s.step),
            fileVersion: '',
            scalars: [{ tag: s.tag, value: Math.fround(s.value) }],
            histograms: [],
            texts: [],
          })),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('writes the HistogramProto of a known tensor, as add_histogram tags it, for an independent reader', async () => {
    const x = tensor(new CpuBackend(), [0, 0.5, 1, 1.5, 2, 2, 3.75, 4, Number.NaN]);
    const packed = histograms([x, x], 4);
    const [weight, grad] = await readHistograms(packed);
    const writer = new SummaryWriter(1);
    writer.addHistogram('fc1.weight', weight, 50, 1700000005);
    writer.addHistogram('fc1.weight.grad', { ...grad, lo: 2, hi: 2, counts: [7, 0, 0, 0] }, 50, 1700000005);
    const [, w, g] = readRecords(writer.flush()).map(readEvent);
    expect([w.step, w.wallTime, w.scalars]).toEqual([50n, 1700000005, []]);
    expect(w.histograms).toEqual([
      {
        tag: 'fc1.weight',
        min: 0,
        max: 4,
        num: 8,
        sum: 14.75,
        sumSquares: 0.25 + 1 + 2.25 + 4 + 4 + 3.75 ** 2 + 16,
        // Right edges of [0, 1), [1, 2), [2, 3), [3, 4]; NaN has no bucket.
        bucketLimit: [1, 2, 3, 4],
        bucket: [2, 2, 2, 2],
      },
    ]);
    // A constant tensor's range is a point: one bucket.
    expect(g.histograms.map((h) => [h.tag, h.bucketLimit, h.bucket])).toEqual([
      ['fc1.weight.grad', [2], [7]],
    ]);
    packed.dispose();
    x.dispose();
  });

  it("encodes a text summary as PyTorch's add_text does, byte for byte", () => {
    const writer = new SummaryWriter(0);
    writer.addText('a', 'hi', 0, 0);
    const [, event] = readRecords(writer.flush());
    // From the .proto files' field numbers: Summary.Value {tag: "a/text_summary" (1), tensor (8):
    // TensorProto {dtype: DT_STRING = 7 (1), tensor_shape (2): {dim (2): {size: 1 (1)}},
    // string_val: "hi" (8)}, metadata (9): SummaryMetadata {plugin_data (1): {plugin_name: "text" (1)}}},
    // inside Summary {value (1)} inside Event {summary (5)}; zero wall_time and step left out.
    const value = [
      ...[0x0a, 14, ...ascii('a/text_summary')],
      ...[0x42, 12, 0x08, 7, 0x12, 4, 0x12, 2, 0x08, 1, 0x42, 2, ...ascii('hi')],
      ...[0x4a, 8, 0x0a, 6, 0x0a, 4, ...ascii('text')],
    ];
    expect(Array.from(event)).toEqual([0x2a, value.length + 2, 0x0a, value.length, ...value]);
  });

  it('writes any text, Markdown and emoji included, at its step for an independent reader', () => {
    const writer = new SummaryWriter(1700000000);
    const sample = '**step 250**\n\nthe hacker ran ✨ a kludge\n';
    writer.addText('samples', sample, 250, 1700000003.5);
    const [, record] = readRecords(writer.flush());
    const event = readEvent(record);
    expect(event.step).toBe(250n);
    expect(event.wallTime).toBe(1700000003.5);
    expect(event.texts).toEqual([
      { tag: 'samples/text_summary', plugin: 'text', dtype: 7, shape: [1], strings: [sample] },
    ]);
  });

  it('frames an empty record', () => {
    expect(tfRecord(new Uint8Array(0)).length).toBe(16);
  });
});

describe('eventFileName', () => {
  it("follows TensorBoard's events.out.tfevents.<seconds>.<host>.<pid>.<n>, unique in a process", () => {
    const first = eventFileName('kiln', 1700000000.9, 4242);
    expect(first).toMatch(/^events\.out\.tfevents\.1700000000\.kiln\.4242\.\d+$/);
    const n = Number(first.split('.').at(-1));
    // Two writers in the same second, in the same process, get different files.
    expect(eventFileName('kiln', 1700000000.2, 4242)).toBe(
      `events.out.tfevents.1700000000.kiln.4242.${n + 1}`,
    );
    expect(eventFileName('h', 12.5)).toBe(`events.out.tfevents.0000000012.h.${process.pid}.${n + 2}`);
  });
});
