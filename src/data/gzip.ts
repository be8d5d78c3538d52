import { concatChunks } from './chunks';
import { DatasetError } from './errors';

/**
 * Gzip input, inflated as a stream with a cap, so a small file that inflates to gigabytes (a
 * "zip bomb", or just corrupt data) is refused as soon as it passes what its format allows instead
 * of first being inflated whole. The web-standard DecompressionStream serves the page, its worker
 * and Node 20 alike.
 */

/** The most bytes Kiln inflates from one gzip file, whatever its header says. */
export const MAX_INFLATED_BYTES = 1 << 30;

/**
 * Reads, from the first bytes of the inflated output, the total size the format's header declares:
 * undefined while `head` is too short to hold the header (it is asked again as more comes), a
 * DatasetError when the header is not the format's. It must answer once the header is in.
 */
export type DeclaredSize = (head: Uint8Array) => number | undefined;

/** Whether the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data, stopping with a DatasetError as soon as the output passes the size its own
 * header declares (when `declaredSize` can read one) or `maxBytes`.
 */
export async function gunzip(
  bytes: Uint8Array,
  file: string,
  declaredSize?: DeclaredSize,
  maxBytes = MAX_INFLATED_BYTES,
): Promise<Uint8Array> {
  const reader = feed(new DecompressionStream('gzip'), bytes);
  const chunks: Uint8Array[] = [];
  let length = 0;
  let limit = maxBytes;
  let declared: number | undefined;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(r.value);
      length += r.value.length;
      if (declaredSize !== undefined && declared === undefined) {
        declared = declaredSize(concatChunks(chunks, length));
        if (declared !== undefined) limit = Math.min(declared, maxBytes);
      }
      if (length > limit) {
        throw new DatasetError(
          file,
          limit < maxBytes
            ? `inflates to more than the ${limit} bytes its header declares: the file is corrupt`
            : `inflates to more than ${maxBytes} bytes, more than Kiln reads from one file`,
        );
      }
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    if (e instanceof DatasetError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    if (/unexpected end/i.test(reason)) {
      throw new DatasetError(file, `is truncated: its gzip stream ends early (${reason})`, { cause: e });
    }
    throw new DatasetError(file, `is not valid gzip data (${reason})`, { cause: e });
  }
  return concatChunks(chunks, length);
}

/** `bytes` gzip-compressed (the web-standard CompressionStream, in the page and in Node alike). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const reader = feed(new CompressionStream('gzip'), bytes);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    chunks.push(r.value);
    length += r.value.length;
  }
  return concatChunks(chunks, length);
}

/** Writes all of `bytes` into a (de)compression stream and gives the reader of what comes out. */
function feed(
  stream: CompressionStream | DecompressionStream,
  bytes: Uint8Array,
): ReadableStreamDefaultReader<Uint8Array> {
  const writer = stream.writable.getWriter();
  // The streams take ArrayBuffer-backed chunks only; a shared buffer is copied.
  const chunk = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  // A corrupt or abandoned stream rejects these writes as well as the reads; the reads are the
  // ones reported, so these rejections are observed here only to keep them from surfacing.
  writer.write(chunk).catch(() => {});
  writer.close().catch(() => {});
  return stream.readable.getReader();
}
