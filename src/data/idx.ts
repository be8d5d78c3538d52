import { DatasetError } from './errors';
import { gunzip, isGzip, MAX_INFLATED_BYTES } from './gzip';
import type { ImageDataset } from './types';

/**
 * The IDX format (LeCun's MNIST files): two zero bytes, a type code, the number of dimensions, then
 * each dimension as a big-endian uint32, then the data in row-major order. Only unsigned bytes are
 * read; the other type codes are recognised so the refusal can name them.
 */

/** A parsed IDX file: its shape and its bytes (a view into the file, not a copy). */
export interface IdxArray {
  file: string;
  dtype: 'ubyte';
  shape: number[];
  data: Uint8Array;
}

const IDX_TYPES: Record<number, string> = {
  8: 'ubyte',
  9: 'sbyte',
  11: 'int16',
  12: 'int32',
  13: 'float32',
  14: 'float64',
};

/**
 * The header of an IDX file read from its first bytes: the shape and the file's total size, or
 * undefined when `head` ends before the header does. Throws DatasetError when the bytes are not an
 * unsigned-byte IDX header, or describe more data than Kiln reads from one file.
 */
function readHeader(
  head: Uint8Array,
  file: string,
): { shape: number[]; headerBytes: number; fileBytes: number } | undefined {
  if (head.length < 4) return undefined;
  if (head[0] !== 0 || head[1] !== 0) throw new DatasetError(file, notIdxReason(head));
  const typeCode = head[2];
  const typeName = IDX_TYPES[typeCode];
  if (typeName === undefined) {
    throw new DatasetError(
      file,
      `has a wrong magic number (${hex(head, 4)}): type code 0x${byteHex(typeCode)} is not an IDX type`,
    );
  }
  if (typeName !== 'ubyte') {
    throw new DatasetError(
      file,
      `holds ${typeName} data (type code 0x${byteHex(typeCode)}); only unsigned bytes (0x08) are supported`,
    );
  }
  const headerBytes = 4 + 4 * head[3];
  if (head.length < headerBytes) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, headerBytes);
  const shape = Array.from({ length: head[3] }, (_, d) => view.getUint32(4 + 4 * d, false));
  const fileBytes = headerBytes + shape.reduce((a, b) => a * b, 1);
  if (fileBytes > MAX_INFLATED_BYTES) {
    throw new DatasetError(
      file,
      `has a header (shape ${shape.join(' x ')}) describing ${fileBytes} bytes, over the ${MAX_INFLATED_BYTES} Kiln reads from one file: the file is corrupt or not IDX`,
    );
  }
  return { shape, headerBytes, fileBytes };
}

/** Parses an IDX file that is already decompressed. Throws DatasetError on anything malformed. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length === 0) throw new DatasetError(file, 'is empty (0 bytes)');
  const header = readHeader(bytes, file);
  if (header === undefined) {
    throw new DatasetError(
      file,
      bytes.length < 4
        ? `is truncated: expected at least 4 header bytes, got ${bytes.length}`
        : `is truncated: expected a ${4 + 4 * bytes[3]}-byte header for ${bytes[3]} dimensions, got ${bytes.length} bytes`,
    );
  }
  const { shape, headerBytes, fileBytes: expected } = header;
  if (bytes.length < expected) {
    throw new DatasetError(
      file,
      `is truncated: its header (shape ${shape.join(' x ')}) needs ${expected} bytes, the file has ${bytes.length}`,
    );
  }
  if (bytes.length > expected) {
    throw new DatasetError(
      file,
      `has ${bytes.length - expected} bytes after the ${expected} its header (shape ${shape.join(' x ')}) describes`,
    );
  }
  return { file, dtype: 'ubyte', shape, data: bytes.subarray(headerBytes, expected) };
}

/**
 * Parses an IDX file, decompressing it first when it is gzipped (as MNIST is distributed): as a
 * stream that stops as soon as it passes the size the header declares.
 */
export async function readIdx(bytes: Uint8Array, file: string): Promise<IdxArray> {
  return parseIdx(
    isGzip(bytes) ? await gunzip(bytes, file, (head) => readHeader(head, file)?.fileBytes) : bytes,
    file,
  );
}

/** Options for pairing an images file with a labels file. */
export interface ImageDatasetOptions {
  /** The dataset's name (a cache key, and what the UI shows). */
  name: string;
  /** The number of classes; by default the largest label plus one. */
  numClasses?: number;
  /** The training labels file numClasses came from, when this is a test set (see checkLabels). */
  classesFrom?: string;
}

/**
 * Pairs an images array (count x rows x cols) with a labels array (count) into an ImageDataset,
 * checking that the counts agree and every label is a valid class index.
 */
export function imageDatasetFromIdx(
  images: IdxArray,
  labels: IdxArray,
  options: ImageDatasetOptions,
): ImageDataset {
  if (images.shape.length === 1 && labels.shape.length === 3) {
    throw new DatasetError(
      images.file,
      `is a labels file and ${labels.file} is an images file: the two look swapped`,
    );
  }
  if (images.shape.length !== 3) {
    throw new DatasetError(
      images.file,
      `has shape ${shapeText(images.shape)}; an images file needs 3 dimensions (count x rows x cols)`,
    );
  }
  if (labels.shape.length !== 1) {
    throw new DatasetError(
      labels.file,
      `has shape ${shapeText(labels.shape)}; a labels file needs 1 dimension (count)`,
    );
  }
  const [count, rows, cols] = images.shape;
  if (labels.shape[0] !== count) {
    throw new DatasetError(
      labels.file,
      `has ${labels.shape[0]} labels but ${images.file} has ${count} images; the counts must match`,
    );
  }
  if (count === 0) throw new DatasetError(images.file, 'holds no images (count is 0)');
  if (rows === 0 || cols === 0) throw new DatasetError(images.file, `has empty images (${rows} x ${cols})`);
  const numClasses = checkLabels(labels.data, labels.file, options);
  return {
    kind: 'image',
    name: options.name,
    images: images.data,
    labels: labels.data,
    count,
    rows,
    cols,
    channels: 1,
    numClasses,
  };
}

/**
 * The most classes a dataset may have: a label past it is more likely a wrong label column or a
 * corrupt file than a class, and the class count sizes the model's last layer and the n x n
 * confusion matrix.
 */
export const MAX_CLASSES = 1000;

/** What checkLabels checks labels against, and how its messages place a label. */
export interface LabelCheck {
  /** The number of classes; by default the largest label plus one. */
  numClasses?: number;
  /** The training labels file numClasses came from, when checking a test set against it. */
  classesFrom?: string;
  /** Where the i-th label is, as a message says it; by default `index i`. */
  where?: (i: number) => string;
}

/**
 * Checks that every label is below numClasses (when given) and returns the number of classes: the
 * given one, or the largest label plus one. Names the first bad label, where it is and the class
 * count (and the training labels file, when that is where the count came from).
 */
export function checkLabels(labels: ArrayLike<number>, file: string, check: LabelCheck = {}): number {
  const { numClasses, classesFrom, where = (i: number) => `index ${i}` } = check;
  if (
    numClasses !== undefined &&
    !(Number.isInteger(numClasses) && numClasses >= 1 && numClasses <= MAX_CLASSES)
  ) {
    throw new DatasetError(file, `numClasses must be an integer from 1 to ${MAX_CLASSES}, got ${numClasses}`);
  }
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (numClasses !== undefined && label >= numClasses) {
      throw new DatasetError(
        file,
        classesFrom === undefined
          ? `label ${label} at ${where(i)} is out of range: expected 0..${numClasses - 1} for ${numClasses} classes`
          : `label ${label} at ${where(i)} is not one of the training set's ${numClasses} classes (0..${numClasses - 1}, from ${classesFrom})`,
      );
    }
    if (numClasses === undefined && label >= MAX_CLASSES) {
      throw new DatasetError(
        file,
        `label ${label} at ${where(i)} would make ${label + 1} classes, over the ${MAX_CLASSES} Kiln trains: is this the label column, and the file intact?`,
      );
    }
    if (label > max) max = label;
  }
  if (numClasses === undefined) checkStray(labels, max, file, where);
  return numClasses ?? max + 1;
}

/**
 * Refuses a largest label that stands far off the others (999 among 0-2: a typo, or a damaged
 * line) instead of making a dataset of max + 1 classes that no model fits, with a message that
 * blames the model. Far off: more unused class numbers below it than classes in use, and at least
 * 10, so a small split missing a few of 0..9 still loads.
 */
function checkStray(
  labels: ArrayLike<number>,
  max: number,
  file: string,
  where: (i: number) => string,
): void {
  const seen = new Uint8Array(max + 1);
  for (let i = 0; i < labels.length; i++) seen[labels[i]] = 1;
  const used = seen.reduce((a, b) => a + b, 0);
  const unused = max + 1 - used;
  if (unused < 10 || unused <= used) return;
  let below = max - 1;
  while (below >= 0 && !seen[below]) below--;
  const at = Array.prototype.findIndex.call(labels, (l: number) => l === max);
  throw new DatasetError(
    file,
    `label ${max} at ${where(at)} stands apart from the others (the next below it is ${below}): it would make ${max + 1} classes, ${unused} of them never seen; fix that label, or number the classes 0..N-1`,
  );
}

/** Says what a file that does not start with 00 00 looks like, so the message can name the mix-up. */
function notIdxReason(bytes: Uint8Array): string {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'is not an IDX file: it is a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'is not an IDX file: it is a JPEG image';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'is not an IDX file: it is a GIF image';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'is not an IDX file: it is a zip archive (extract it first)';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'is not an IDX file: it is a PDF document';
  const head = bytes.subarray(0, 64);
  if (head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) {
    const text = new TextDecoder().decode(head.subarray(0, 24)).replace(/\s+/g, ' ');
    return `is not an IDX file: it is text (starts "${text}"); for CSV data use the CSV loader`;
  }
  return `is not an IDX file: wrong magic number ${hex(bytes, 4)}, expected 00 00 08 <ndim>`;
}

function byteHex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function hex(bytes: Uint8Array, n: number): string {
  return Array.from(bytes.subarray(0, n), byteHex).join(' ');
}

function shapeText(shape: number[]): string {
  return shape.length === 0 ? '[] (a scalar)' : shape.join(' x ');
}
