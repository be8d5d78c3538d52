/**
 * TensorBoard event files written without TensorFlow: Event protobufs encoded by hand inside
 * TFRecord framing, the bytes torch.utils.tensorboard.SummaryWriter produces for add_scalar,
 * add_histogram and add_text.
 */
import type { Histogram } from '../tensor/ops';

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum TFRecord uses. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32C of bytes, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotated and offset so a CRC stored inside CRC'd data does not cancel out. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** Frames one record: u64 LE length, masked CRC of the length, the data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * Appends protobuf wire-format fields; just what Event, Summary, Summary.Value, HistogramProto and
 * the hparams plugin's messages (hparams.ts) need. Every field written is written, zero or not:
 * proto3's leaving out of defaults is the caller's (a oneof member is written even when zero).
 */
export class ProtoWriter {
  private bytes: number[] = [];

  private varint(value: bigint): void {
    // int64 fields carry negatives as their 64-bit two's complement, ten bytes long.
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  private key(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  private fixed(field: number, wireType: number, size: number, write: (view: DataView) => void): void {
    this.key(field, wireType);
    const buf = new Uint8Array(size);
    write(new DataView(buf.buffer));
    this.bytes.push(...buf);
  }

  /** An int32, int64, enum or bool field (a varint). */
  int64(field: number, value: number): this {
    this.key(field, 0);
    this.varint(BigInt(value));
    return this;
  }

  double(field: number, value: number): this {
    this.fixed(field, 1, 8, (v) => v.setFloat64(0, value, true));
    return this;
  }

  float(field: number, value: number): this {
    this.fixed(field, 5, 4, (v) => v.setFloat32(0, value, true));
    return this;
  }

  bytesField(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(BigInt(value.length));
    this.bytes.push(...value);
    return this;
  }

  /** A packed repeated double; an empty one is left out, as proto3 leaves it. */
  packedDoubles(field: number, values: number[]): this {
    if (!values.length) return this;
    const buf = new Uint8Array(8 * values.length);
    const view = new DataView(buf.buffer);
    values.forEach((v, i) => {
      view.setFloat64(8 * i, v, true);
    });
    return this.bytesField(field, buf);
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * Encodes an Event (tensorboard/compat/proto/event.proto). Like proto3's own serializer it skips a
 * zero wall_time or step, so the bytes match what Python's protobuf writes.
 */
function encodeEvent(wallTime: number, step: number, body: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter();
  if (wallTime !== 0) w.double(1, wallTime);
  if (step !== 0) w.int64(2, step);
  body(w);
  return w.finish();
}

/** Seconds since the Unix epoch, as TensorBoard's wall_time and Python's time.time(). */
function now(): number {
  return Date.now() / 1000;
}

/** How many event file names this process has made: TensorBoard's writers count theirs the same way. */
let namesMade = 0;

/**
 * An event file name as TensorBoard's writers make it,
 * `events.out.tfevents.<unix seconds, 10 digits>.<hostname>.<pid>.<n>`, n counting the names made in
 * this process from 0: two runs started in the same second in one log directory never share a
 * file, whether they are two processes or one. A page has no pid: 0 stands in.
 */
export function eventFileName(
  hostname: string,
  wallTime = now(),
  pid = globalThis.process?.pid ?? 0,
): string {
  const seconds = String(Math.floor(wallTime)).padStart(10, '0');
  return `events.out.tfevents.${seconds}.${hostname}.${pid}.${namesMade++}`;
}

/**
 * A text as TensorBoard's Text tab shows it verbatim: its lines indented by four spaces, a
 * Markdown code block, since the tab renders Markdown (a sample's line breaks and asterisks would
 * otherwise be read as formatting).
 */
export function markdownVerbatim(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/**
 * Collects scalars as TensorBoard events, like torch.utils.tensorboard.SummaryWriter, but hands
 * the bytes back instead of writing a file (a browser has no log directory): append each flush()
 * to one file named with eventFileName() and TensorBoard reads it.
 */
export class SummaryWriter {
  private pending: Uint8Array[] = [];
  private size = 0;

  /** Starts the file with the Event whose file_version tells readers the format: "brain.Event:2". */
  constructor(wallTime = now()) {
    this.push(encodeEvent(wallTime, 0, (w) => w.string(3, 'brain.Event:2')));
  }

  /** Records one scalar (stored as a float32 simple_value, as PyTorch does) at a global step. */
  addScalar(tag: string, value: number, step: number, wallTime = now()): void {
    if (!Number.isSafeInteger(step)) throw new Error(`step must be an integer, got ${step}`);
    this.pushValue(step, wallTime, new ProtoWriter().string(1, tag).float(2, value));
  }

  /**
   * Records a histogram (a HistogramProto, TensorBoard's Histograms and Distributions tabs) at a
   * global step: each bin's right edge as its bucket_limit, the last being the maximum, as
   * PyTorch's add_histogram writes them; a constant tensor is one bucket. NaN and infinities have
   * no bucket in the format: they are left out, as are finite values outside a given range.
   */
  addHistogram(tag: string, hist: Histogram, step: number, wallTime = now()): void {
    if (!Number.isSafeInteger(step)) throw new Error(`step must be an integer, got ${step}`);
    const { lo, hi, counts } = hist;
    const num = counts.reduce((a, b) => a + b, 0);
    const width = (hi - lo) / counts.length;
    const [limits, buckets] =
      num === 0
        ? [[], []]
        : hi === lo
          ? [[hi], [num]]
          : [counts.map((_, i) => (i === counts.length - 1 ? hi : lo + (i + 1) * width)), counts];
    const proto = new ProtoWriter();
    // proto3 leaves out zeros; NaN extremes (no finite value) are left out too.
    const field = (n: number, v: number) => {
      if (v !== 0 && !Number.isNaN(v)) proto.double(n, v);
    };
    field(1, hist.min);
    field(2, hist.max);
    field(3, num);
    field(4, hist.sum);
    field(5, hist.sumSquares);
    proto.packedDoubles(6, limits).packedDoubles(7, buckets);
    this.pushValue(step, wallTime, new ProtoWriter().string(1, tag).bytesField(5, proto.finish()));
  }

  /**
   * Records a text (TensorBoard's Text tab; Markdown there) at a global step, as PyTorch's add_text
   * writes it: the tag with "/text_summary" appended, metadata naming the "text" plugin (its
   * content, TextPluginData at version 0, is empty in proto3), and a string tensor of shape [1]
   * holding the text as UTF-8.
   */
  addText(tag: string, text: string, step: number, wallTime = now()): void {
    if (!Number.isSafeInteger(step)) throw new Error(`step must be an integer, got ${step}`);
    const DT_STRING = 7;
    const plugin = new ProtoWriter().string(1, 'text').finish();
    const metadata = new ProtoWriter().bytesField(1, plugin).finish();
    const shape = new ProtoWriter().bytesField(2, new ProtoWriter().int64(1, 1).finish()).finish();
    const tensor = new ProtoWriter().int64(1, DT_STRING).bytesField(2, shape).string(8, text).finish();
    const value = new ProtoWriter()
      .string(1, `${tag}/text_summary`)
      .bytesField(8, tensor)
      .bytesField(9, metadata);
    this.pushValue(step, wallTime, value);
  }

  /**
   * Records a summary that only a plugin reads (TensorBoard's hparams): the tag, its metadata
   * naming `plugin` with `content` (the plugin's own serialised message), and the scalar float
   * tensor 0 that TensorBoard's own hparams writer puts beside it (its NULL_TENSOR).
   */
  addPluginSummary(tag: string, plugin: string, content: Uint8Array, step = 0, wallTime = now()): void {
    const DT_FLOAT = 1;
    const pluginData = new ProtoWriter().string(1, plugin).bytesField(2, content).finish();
    const metadata = new ProtoWriter().bytesField(1, pluginData).finish();
    const tensor = new ProtoWriter()
      .int64(1, DT_FLOAT)
      .bytesField(2, new Uint8Array(0))
      .bytesField(5, new Uint8Array(4))
      .finish();
    this.pushValue(
      step,
      wallTime,
      new ProtoWriter().string(1, tag).bytesField(8, tensor).bytesField(9, metadata),
    );
  }

  /** The event-file bytes recorded since the last flush (the first flush includes the file header). */
  flush(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const record of this.pending) {
      out.set(record, at);
      at += record.length;
    }
    this.pending = [];
    this.size = 0;
    return out;
  }

  /** Records an Event whose summary holds one Summary.Value. */
  private pushValue(step: number, wallTime: number, value: ProtoWriter): void {
    const summary = new ProtoWriter().bytesField(1, value.finish()).finish();
    this.push(encodeEvent(wallTime, step, (w) => w.bytesField(5, summary)));
  }

  private push(event: Uint8Array): void {
    const record = tfRecord(event);
    this.pending.push(record);
    this.size += record.length;
  }
}
