/**
 * Character-level text as nanoGPT's shakespeare_char prepares it: a vocabulary of the file's
 * characters (sorted, one id each), the text as ids, the first 90% to train on and the last 10% to
 * validate on (split by position, so validation is text the model never saw a window of), windows
 * of `block_size + 1` ids (x = window[:-1], y = window[1:]) drawn at random offsets for training
 * (nanoGPT's get_batch, here a Dataset of every window read through a DataLoader whose
 * RandomSampler draws with replacement), and the validation text in consecutive windows, so an
 * evaluation scores every character of it once.
 */
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import type { Dataset } from './dataset';
import { DatasetError, shown } from './errors';

/**
 * A character vocabulary: its characters in id order, as one string. Id i is the i-th code point
 * (`[...vocab][i]`), which is the i-th UTF-16 unit too unless the text has characters beyond the
 * Basic Multilingual Plane (emoji).
 */
export type Vocab = string;

/** nanoGPT's split: the first 90% of the ids train, the rest validate. */
export const TRAIN_FRACTION = 0.9;

/**
 * Bytes decoded at a time: a 100 MB file is decoded, scanned and encoded in pieces of a few MB,
 * never spread into one array of characters (which would take gigabytes).
 */
const PIECE_BYTES = 1 << 22;

/**
 * The text of a file's bytes, or a DatasetError naming the file when it cannot be a text to train
 * on: empty, binary (a NUL byte, or bytes that are not UTF-8), or a single character repeated.
 */
export function decodeText(bytes: Uint8Array, name: string): string {
  const pieces = decodePieces(bytes, name);
  vocabOfPieces(pieces, name);
  return pieces.join('');
}

/** The text of `bytes` in pieces of about PIECE_BYTES each, refused as decodeText refuses it (but for the one-character check). */
function decodePieces(bytes: Uint8Array, name: string): string[] {
  if (bytes.length === 0) throw new DatasetError(name, 'is empty: there is no text to train on');
  // A NUL byte is valid UTF-8 but never in a text file: it marks a binary one.
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DatasetError(name, `is a binary file, not text (a NUL byte at offset ${nul})`);
  // One streaming decoder: a character cut by a piece's edge is completed by the next piece.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const pieces: string[] = [];
  try {
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
      const stream = at + PIECE_BYTES < bytes.length;
      pieces.push(decoder.decode(bytes.subarray(at, at + PIECE_BYTES), { stream }));
    }
  } catch {
    throw new DatasetError(name, 'is not UTF-8 text (a binary file, or another encoding: save it as UTF-8)');
  }
  return pieces;
}

/** The vocabulary of a text's pieces and its length in characters; one character only is refused. */
function vocabOfPieces(pieces: string[], name: string): { vocab: Vocab; length: number } {
  // A flag per code point rather than a Set of strings: several times faster over millions.
  const seen = new Uint8Array(0x110000);
  let length = 0;
  for (const piece of pieces)
    eachCodePoint(piece, (c) => {
      seen[c] = 1;
      length++;
    });
  let vocab = '';
  for (let c = 0; c < seen.length; c++) if (seen[c]) vocab += String.fromCodePoint(c);
  if ([...vocab].length < 2)
    throw new DatasetError(
      name,
      `holds one character only (${JSON.stringify(vocab)}): there is nothing to learn`,
    );
  return { vocab, length };
}

/** Calls `f` with each code point of `s` in order, as for...of reads them (a surrogate pair is one). */
function eachCodePoint(s: string, f: (codePoint: number) => void): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    f(c);
  }
}

/** The sorted unique characters of `text` (by code point, as Python's sorted(set(text))). */
export function buildVocab(text: string): Vocab {
  return [...new Set(text)]
    .sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number))
    .join('');
}

/**
 * `text` as ids in `vocab`; a character outside it is refused in one line naming it and where it
 * is (line and column as an editor counts them).
 */
export function encode(text: string, vocab: Vocab): Int32Array {
  const id = new Map([...vocab].map((c, i) => [c, i]));
  const ids = new Int32Array([...text].length);
  let i = 0;
  let line = 1;
  let column = 1;
  for (const c of text) {
    const k = id.get(c);
    if (k === undefined) {
      const code = `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
      throw new DatasetError(
        'text',
        `the character ${shown(JSON.stringify(c))} (${code}) at line ${line}, column ${column} is not in the vocabulary of ${[...vocab].length} characters`,
      );
    }
    ids[i++] = k;
    if (c === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  return ids;
}

/** The text of ids in `vocab`. */
export function decode(ids: ArrayLike<number>, vocab: Vocab): string {
  const chars = [...vocab];
  return Array.from(ids, (i) => chars[i]).join('');
}

/** The ids of a text split by position: the first TRAIN_FRACTION train, the rest validate. */
export function splitByPosition(ids: Int32Array): { train: Int32Array; val: Int32Array } {
  const n = Math.floor(ids.length * TRAIN_FRACTION);
  return { train: ids.subarray(0, n), val: ids.subarray(n) };
}

/**
 * What a text model predicts: the next character at every position (a GPT, a bigram: labels [T]),
 * or the character after the whole window only (an MLP over a fixed context: one label).
 */
export type TextTarget = 'every' | 'next';

/** One window: its `blockSize` input ids and its labels (the next id at each position, or after the last). */
export type TextSample = [Int32Array, Int32Array];

/**
 * The windows of a text as a Dataset: window i starts at `i * stride` and holds `blockSize + 1`
 * ids, x its first blockSize, y the next id at each position (target 'every') or after the last
 * ('next'). Stride 1 gives every window (training, with a sampler drawing at random); stride
 * blockSize gives consecutive windows (evaluation: each character predicted once). Batches are
 * cut on the host and uploaded: a batch is a few kilobytes of ids.
 */
export class TextWindows implements Dataset<TextSample> {
  constructor(
    readonly ids: Int32Array,
    readonly blockSize: number,
    readonly target: TextTarget = 'every',
    readonly stride = 1,
  ) {
    if (!(Number.isInteger(blockSize) && blockSize >= 1))
      throw new Error(`block_size must be >= 1, got ${blockSize}`);
    if (ids.length < blockSize + 1)
      throw new Error(
        `a text of ${ids.length} characters has no window of block_size + 1 = ${blockSize + 1}`,
      );
  }

  get length(): number {
    return Math.floor((this.ids.length - this.blockSize - 1) / this.stride) + 1;
  }

  /** Characters the windows predict, each once: what a mean loss over them is per character of. */
  get predictedChars(): number {
    return this.length * (this.target === 'every' ? this.blockSize : 1);
  }

  getItem(i: number): TextSample {
    const s = i * this.stride;
    const x = this.ids.slice(s, s + this.blockSize);
    const y =
      this.target === 'every'
        ? this.ids.slice(s + 1, s + this.blockSize + 1)
        : this.ids.slice(s + this.blockSize, s + this.blockSize + 1);
    return [x, y];
  }

  /** The windows `indices` as int32 tensors on `backend`: x [B, T], y [B, T] or [B]. */
  collate(indices: Int32Array, backend: Backend): [Tensor, Tensor] {
    const T = this.blockSize;
    const every = this.target === 'every';
    const x = new Int32Array(indices.length * T);
    const y = new Int32Array(indices.length * (every ? T : 1));
    indices.forEach((i, b) => {
      const s = i * this.stride;
      x.set(this.ids.subarray(s, s + T), b * T);
      if (every) y.set(this.ids.subarray(s + 1, s + T + 1), b * T);
      else y[b] = this.ids[s + T];
    });
    const B = indices.length;
    return [ops.tensor(backend, x, [B, T], 'int32'), ops.tensor(backend, y, every ? [B, T] : [B], 'int32')];
  }
}

/** A dataset that cuts its own batches (rather than stacking getItem's samples): text windows. */
export interface CollatingDataset extends Dataset<unknown> {
  collate(indices: Int32Array, backend: Backend): [Tensor, Tensor];
}

/** Whether a dataset cuts its own batches. */
export function isCollating(d: Dataset<unknown>): d is CollatingDataset {
  return typeof (d as CollatingDataset).collate === 'function';
}

/** A text ready to train on: its vocabulary, and its training and validation ids. */
export interface TextData {
  /** The dataset's name (the file's stem). */
  name: string;
  vocab: Vocab;
  train: Int32Array;
  val: Int32Array;
}

/**
 * A file's text, its vocabulary (of the whole file, as nanoGPT's prepare.py builds it) and its 90/10
 * split, as the dataset `name` (the file's stem, say); bad input is refused in one line naming the
 * file (see decodeText). The CLI and the page's worker both read text through here, a piece at a
 * time (see PIECE_BYTES), so a large file costs its ids and one decoded copy, not an array of
 * characters.
 */
export function textData(bytes: Uint8Array, file: string, name = file): TextData {
  const pieces = decodePieces(bytes, file);
  const { vocab, length } = vocabOfPieces(pieces, file);
  const id = new Int32Array(0x110000);
  [...vocab].forEach((c, i) => {
    id[c.codePointAt(0) as number] = i;
  });
  const ids = new Int32Array(length);
  let i = 0;
  // Every character is in the vocabulary just built from them: no refusal to make here.
  for (const piece of pieces)
    eachCodePoint(piece, (c) => {
      ids[i++] = id[c];
    });
  const { train, val } = splitByPosition(ids);
  return { name, vocab, train, val };
}

/**
 * Why a text cannot train with windows of `blockSize` (its training or validation part holds no
 * window of blockSize + 1 characters), in one line; null when it can.
 */
export function blockSizeError(
  t: Pick<TextData, 'name' | 'train' | 'val'>,
  blockSize: number,
): string | null {
  const part =
    t.train.length < blockSize + 1 ? 'training' : t.val.length < blockSize + 1 ? 'validation' : null;
  if (!part) return null;
  const n = part === 'training' ? t.train.length : t.val.length;
  return `the block size (${blockSize}) is longer than the ${part} text of ${t.name} (${n} characters, ${part === 'training' ? 'the first 90%' : 'the last 10%'}): a block size of ${Math.max(1, n - 1)} or less, or a longer text`;
}
