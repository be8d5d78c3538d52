/**
 * The safetensors format (huggingface/safetensors), read and written byte for byte as its
 * reference implementation does: an 8-byte little-endian header length N, N bytes of JSON header
 * padded with spaces to a multiple of 8, then the tensors' raw little-endian bytes, packed.
 * Typed arrays are used in platform byte order, which is little-endian on every WebGPU platform.
 */
import { shown } from '../data/errors';

/** The dtypes of the safetensors spec, with the typed array that holds each one's raw elements. */
const DTYPES = {
  F64: Float64Array,
  F32: Float32Array,
  // Halves travel as their raw 16-bit patterns; JavaScript has no half-precision array everywhere.
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as const;

/** A safetensors dtype name: F32 for float tensors, I64 for num_batches_tracked, and the rest of the spec. */
export type SafetensorsDtype = keyof typeof DTYPES;

/** The typed arrays that carry tensor elements. */
export type TensorData = InstanceType<(typeof DTYPES)[SafetensorsDtype]>;

/** One tensor: dtype, PyTorch-order shape ([] for a scalar) and its elements in row-major order. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

/** A decoded file: tensors keyed by state-dict name in file order, and the string metadata. */
export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** The metadata key under which Kiln records the version of its checkpoint layout. */
export const FORMAT_VERSION_KEY = 'kiln.format_version';

/** The newest Kiln checkpoint layout this build reads and the one it writes. */
export const FORMAT_VERSION = 1;

/** The reference implementation's cap on the header, which keeps a corrupt length from allocating gigabytes. */
export const MAX_HEADER_SIZE = 100_000_000;

/** Any way a file is not valid safetensors (or a tensor cannot be written); the message names the problem. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Element count of a shape, or an error naming the tensor when the shape is malformed. */
function numel(name: string, shape: unknown): number {
  if (!Array.isArray(shape)) throw new SafetensorsError(`tensor '${shown(name)}': shape is not an array`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(
        `tensor '${shown(name)}': shape ${jsonShown(shape)} has an invalid dimension`,
      );
    }
    n *= d;
    if (!Number.isSafeInteger(n)) throw new SafetensorsError(`tensor '${shown(name)}': shape is too large`);
  }
  return n;
}

/** A value from the header as a message shows it: its JSON, on one line, cut short. */
function jsonShown(value: unknown): string {
  return shown(String(JSON.stringify(value)));
}

function isDtype(dtype: unknown): dtype is SafetensorsDtype {
  return typeof dtype === 'string' && Object.hasOwn(DTYPES, dtype);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes tensors (in the record's order) and string metadata as safetensors bytes, stamping
 * FORMAT_VERSION_KEY. Throws SafetensorsError when a tensor's array type or length disagrees
 * with its dtype or shape.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries: [string, unknown][] = [
    ['__metadata__', { ...metadata, [FORMAT_VERSION_KEY]: String(FORMAT_VERSION) }],
  ];
  let offset = 0;
  for (const [name, { dtype, shape, data }] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new SafetensorsError("'__metadata__' is reserved, not a tensor name");
    if (!isDtype(dtype))
      throw new SafetensorsError(`tensor '${shown(name)}': unknown dtype ${shown(String(dtype))}`);
    if (!(data instanceof DTYPES[dtype])) {
      throw new SafetensorsError(`tensor '${shown(name)}': ${dtype} needs a ${DTYPES[dtype].name}`);
    }
    if (data.length !== numel(name, shape)) {
      throw new SafetensorsError(`tensor '${shown(name)}': ${data.length} elements for shape [${shape}]`);
    }
    entries.push([name, { dtype, shape, data_offsets: [offset, offset + data.byteLength] }]);
    offset += data.byteLength;
  }
  // fromEntries, not assignment, so a tensor named "__proto__" is written like any other.
  const header = Object.fromEntries(entries);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  // What readers refuse is not written: the file would be lost at its first load.
  if (headerLength > MAX_HEADER_SIZE) {
    throw new SafetensorsError(
      `the header (tensor names and metadata) is ${headerLength} bytes, over safetensors' ${MAX_HEADER_SIZE}-byte limit`,
    );
  }
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { data } of Object.values(tensors)) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/**
 * Parses the JSON header, or throws SafetensorsError saying why it is not one. The first checks
 * are what tells another kind of file, or a cut-short one, from a safetensors file, so their
 * messages say that first and give the numbers after.
 */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `the file is not a safetensors file, or is truncated: it is ${bytes.length} bytes, too short for the 8-byte header length`,
    );
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) {
    throw new SafetensorsError(
      `the file is not a safetensors file, or is corrupt: its first 8 bytes are no header length (they read as ${n}, over the ${MAX_HEADER_SIZE}-byte limit)`,
    );
  }
  if (n > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      `the file is truncated, or not a safetensors file: its header length ${n} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  const dataStart = 8 + Number(n);
  // The reference implementation requires the header to open a JSON object straight away.
  if (bytes[8] !== 0x7b) {
    throw new SafetensorsError(
      "the file is not a safetensors file, or is corrupt: its header does not start with '{'",
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw new SafetensorsError(
      `the file is corrupt: its header is not valid UTF-8 JSON (${shown((e as Error).message, 120)})`,
    );
  }
  // Valid JSON that starts with '{' is an object.
  return { header: header as Record<string, unknown>, dataStart };
}

/** Validates __metadata__: a string-to-string map whose Kiln format version this build can read. */
function readMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) throw new SafetensorsError('__metadata__ is not a JSON object');
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(`__metadata__ value for '${shown(key)}' is not a string`);
    }
  }
  const metadata = raw as Record<string, string>;
  const version = metadata[FORMAT_VERSION_KEY];
  if (version !== undefined && !/^\d+$/.test(version)) {
    throw new SafetensorsError(`checkpoint format version ${jsonShown(version)} is not an integer`);
  }
  if (version !== undefined && Number(version) > FORMAT_VERSION) {
    throw new SafetensorsError(
      `checkpoint format version ${version} is newer than this Kiln supports (${FORMAT_VERSION}); update Kiln to load it`,
    );
  }
  return metadata;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Validates one header entry: known dtype, sane shape and offsets, byte size matching the shape. */
function readEntry(name: string, info: unknown, dataLength: number): Entry {
  if (!isPlainObject(info)) throw new SafetensorsError(`tensor '${shown(name)}': entry is not a JSON object`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (!isDtype(dtype))
    throw new SafetensorsError(`tensor '${shown(name)}': unknown dtype ${jsonShown(dtype)}`);
  const n = numel(name, shape);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    throw new SafetensorsError(
      `tensor '${shown(name)}': data_offsets ${jsonShown(offsets)} is not two non-negative integers`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw new SafetensorsError(
      `tensor '${shown(name)}': data_offsets [${begin}, ${end}] out of range of ${dataLength} data bytes`,
    );
  }
  if (n * DTYPES[dtype].BYTES_PER_ELEMENT !== end - begin) {
    throw new SafetensorsError(
      `tensor '${shown(name)}': shape [${shown(String(shape))}] of ${dtype} needs ${n * DTYPES[dtype].BYTES_PER_ELEMENT} bytes, offsets give ${end - begin}`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/**
 * Reads safetensors bytes, validating as strictly as the reference implementation: the tensors
 * must tile the data section exactly, in some order, with nothing left over. Tensors come back in
 * file (data offset) order, each with its own freshly aligned copy of the data.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { header, dataStart } = readHeader(bytes);
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(header.__metadata__);
  const entries = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, info]) => readEntry(name, info, dataLength))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const { name, begin, end } of entries) {
    if (begin < expected) throw new SafetensorsError(`tensor '${shown(name)}' overlaps the tensor before it`);
    if (begin > expected) {
      throw new SafetensorsError(`gap of ${begin - expected} bytes before tensor '${shown(name)}'`);
    }
    expected = end;
  }
  if (expected !== dataLength) {
    throw new SafetensorsError(`${dataLength - expected} bytes of data after the last tensor`);
  }
  // fromEntries, not assignment, so a tensor named "__proto__" stays a tensor.
  const tensors = Object.fromEntries(
    entries.map(({ name, dtype, shape, begin, end }): [string, SafetensorsTensor] => {
      // A copy into a new buffer, so wide dtypes are aligned whatever offset they had in the file
      // (Uint8Array's own slice: a Node Buffer's slice would be a view).
      const raw = Uint8Array.prototype.slice.call(bytes, dataStart + begin, dataStart + end);
      return [name, { dtype, shape, data: new DTYPES[dtype](raw.buffer) }];
    }),
  );
  return { tensors, metadata };
}

/** A file's string metadata alone, read from its header without touching the tensors' bytes. */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return readMetadata(readHeader(bytes).header.__metadata__);
}

/**
 * The same file with `extra` merged into its metadata (a key already there is replaced): the
 * header is written again, the tensors' entries and bytes are kept as they were.
 */
export function withMetadata(bytes: Uint8Array, extra: Record<string, string>): Uint8Array {
  const { header, dataStart } = readHeader(bytes);
  const metadata = { ...readMetadata(header.__metadata__), ...extra };
  // fromEntries, not assignment, so a tensor named "__proto__" is written like any other.
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  const json = new TextEncoder().encode(
    JSON.stringify(Object.fromEntries([['__metadata__', metadata], ...entries])),
  );
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_SIZE) {
    throw new SafetensorsError(
      `the header (tensor names and metadata) is ${headerLength} bytes, over safetensors' ${MAX_HEADER_SIZE}-byte limit`,
    );
  }
  const data = bytes.subarray(dataStart);
  const out = new Uint8Array(8 + headerLength + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  out.set(data, 8 + headerLength);
  return out;
}
