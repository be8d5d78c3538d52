import { type CsvOptions, readCsv } from './csv';
import { DatasetError } from './errors';
import { imageDatasetFromIdx, readIdx } from './idx';
import type { DatasetSplits, ImageDataset, NamedBytes, TabularDataset } from './types';

/**
 * A user's own files, already in memory (a file picker in the page, a disk read in the CLI):
 * an IDX images/labels pair with an optional test pair, or a CSV file. Gzipped input is accepted.
 */

/** The IDX files of a dataset: a training pair and, optionally, a test pair. */
export interface IdxFiles {
  trainImages: NamedBytes;
  trainLabels: NamedBytes;
  testImages?: NamedBytes;
  testLabels?: NamedBytes;
}

/** Naming and class count for a dataset built from IDX files. */
export interface IdxDatasetOptions {
  /** The base name: the datasets are called `<name>-train` and `<name>-test`. */
  name: string;
  /** The number of classes; by default the largest training label plus one (a test label past it is refused). */
  numClasses?: number;
}

/**
 * Parses an IDX training pair (and test pair, if given) into ImageDatasets, checking that the test
 * images have the training images' size and that both use the same class count.
 */
export async function idxDatasets(
  files: IdxFiles,
  options: IdxDatasetOptions,
): Promise<DatasetSplits<ImageDataset>> {
  const { testImages, testLabels } = files;
  if ((testImages === undefined) !== (testLabels === undefined)) {
    const given = (testImages ?? testLabels) as NamedBytes;
    throw new DatasetError(
      given.name,
      'is a test file without its partner: give both test images and test labels',
    );
  }
  const read = (f: NamedBytes) => readIdx(f.bytes, f.name);
  const [trainImg, trainLbl, testImg, testLbl] = await Promise.all([
    read(files.trainImages),
    read(files.trainLabels),
    testImages && read(testImages),
    testLabels && read(testLabels),
  ]);
  const { numClasses } = options;
  const train = imageDatasetFromIdx(trainImg, trainLbl, { name: `${options.name}-train`, numClasses });
  if (!testImg || !testLbl) return { train };
  const test = imageDatasetFromIdx(testImg, testLbl, {
    name: `${options.name}-test`,
    numClasses: train.numClasses,
    classesFrom: numClasses === undefined ? trainLbl.file : undefined,
  });
  if (test.rows !== train.rows || test.cols !== train.cols) {
    throw new DatasetError(
      testImg.file,
      `has ${test.rows} x ${test.cols} images but ${trainImg.file} has ${train.rows} x ${train.cols}`,
    );
  }
  return { train, test };
}

/** Parses a CSV file's bytes (UTF-8, gzipped or not) into a TabularDataset; see readCsv. */
export async function csvDataset(file: NamedBytes, options: CsvOptions): Promise<TabularDataset> {
  return readCsv(file.bytes, file.name, options);
}
