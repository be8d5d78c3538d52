/**
 * `kiln/data`: datasets as tensors and the DataLoader that batches them (`torch.utils.data`),
 * transforms, splits, and text as a language model reads it.
 */
export { cachedFile, type LoadedText, loadBundledText } from '../data/bundled_text';
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
export { randomSplit, trainValidationSplit } from '../data/split';
export { buildVocab, decode, encode, type TextData, textData, type Vocab } from '../data/text';
export { isTextFile, textDataset } from '../data/text_file';
export { Compose, Normalize, ToTensor, type Transform } from '../data/transforms';
