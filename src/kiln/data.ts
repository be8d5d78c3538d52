/**
 * `kiln/data`: datasets as tensors and the DataLoader that batches them (`torch.utils.data`),
 * transforms, splits, and text as a language model reads it.
 *
 * @module kiln/data
 */

export type { LoadBundledTextOptions } from '../data/bundled_text';
export { cachedFile, type LoadedText, loadBundledText } from '../data/bundled_text';
export type { LoaderPosition } from '../data/dataloader';
export { DataLoader, type DataLoaderOptions, RandomSampler } from '../data/dataloader';
export {
  type Dataset,
  type DeviceDataset,
  ImageDataset,
  type Sample,
  Subset,
  SyntheticDataset,
  type SyntheticOptions,
  TensorDataset,
} from '../data/dataset';
export type { TrainValidationIndices } from '../data/split';
export { randomSplit, trainValidationSplit } from '../data/split';
export type { TextTarget } from '../data/text';
export { buildVocab, decode, encode, type TextData, textData, type Vocab } from '../data/text';
export { isTextFile, textDataset } from '../data/text_file';
export { Compose, Normalize, ToTensor, type Transform } from '../data/transforms';
