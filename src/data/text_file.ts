/**
 * Text files as the CLI and the page's worker read them (kept apart from sources.ts, which the
 * page's own bundle loads through mnist.ts: text.ts brings the tensor ops with it).
 */
import { gunzip, isGzip } from './gzip';
import { type TextData, textData } from './text';
import type { NamedBytes } from './types';

/**
 * A text file's bytes (UTF-8, gzipped or not) as a text to train on (textData: vocabulary, ids,
 * 90/10 split), with its plain bytes (what a cache keeps); the CLI's --text and the page's upload
 * both read text here.
 */
export async function textDataset(
  file: NamedBytes,
  name = textStem(file.name),
): Promise<{ text: TextData; bytes: Uint8Array }> {
  const bytes = isGzip(file.bytes) ? await gunzip(file.bytes, file.name) : file.bytes;
  return { text: textData(bytes, file.name, name), bytes };
}

/** A text file's stem, its dataset's name: `notes.txt.gz` -> `notes`. */
export function textStem(fileName: string): string {
  return fileName.replace(/(\.txt)?(\.gz|\.dict\.dz)?$/i, '') || fileName;
}

/** Whether a file's name says it is a text to train on (.txt, gzipped or not). */
export function isTextFile(fileName: string): boolean {
  return /\.txt(\.gz)?$/i.test(fileName);
}
