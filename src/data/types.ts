/**
 * The in-memory shapes of a loaded dataset, before any Tensor exists: plain typed arrays that a
 * worker can receive by transfer and IndexedDB can store by structured clone.
 */

/** The longest class name Kiln keeps, in characters (the confusion matrix and the run record show each). */
export const MAX_CLASS_NAME = 100;

/** Images stored as bytes, one sample after another (N x rows x cols x channels, row-major). */
export interface ImageDataset {
  kind: 'image';
  name: string;
  /** Pixel bytes, `count * rows * cols * channels` long. */
  images: Uint8Array;
  /** One class index per image, each below `numClasses`. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  channels: 1;
  numClasses: number;
  /** The classes' names by index, where the labels were names (a CSV's `species`); else unnamed. */
  classes?: string[];
}

/** Rows of numeric features with a class label each (a CSV file, for instance). */
export interface TabularDataset {
  kind: 'tabular';
  name: string;
  /** Feature values, `count * numFeatures` long, row-major. */
  features: Float32Array;
  /** One class index per row, each below `numClasses`. */
  labels: Int32Array;
  count: number;
  numFeatures: number;
  numClasses: number;
  /** The features' names (a CSV's header, without the label's), when the file has them. */
  columns?: string[];
  /** The classes' names by index, where the labels were names (a CSV's `species`); else unnamed. */
  classes?: string[];
}

/** Any dataset the data layer can load, store and hand on. */
export type RawDataset = ImageDataset | TabularDataset;

/** The usual pair of a training set and a held-out test set; the test set is optional. */
export interface DatasetSplits<T extends RawDataset = RawDataset> {
  train: T;
  test?: T;
}

/** A file's name and contents: what a file picker, a fetch or a disk read all reduce to. */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/** One sample's shape: [channels, rows, cols] for images (PyTorch's C, H, W), [numFeatures] for tables. */
export function sampleShape(d: RawDataset): number[] {
  return d.kind === 'image' ? [d.channels, d.rows, d.cols] : [d.numFeatures];
}
