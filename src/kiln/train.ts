/**
 * `kiln/train`: the Run (a model, its optimizer, schedule, data and position, created from settings or a
 * checkpoint; `fit()` is the one training loop), evaluation and text generation.
 *
 * @module kiln/train
 */

export type { Normalization } from '../train/data';
export {
  type LoadedData,
  prepareData,
  prepareRunData,
  prepareText,
  type RunData,
  type SourceData,
  tensorData,
} from '../train/data';
export { type ErrorKind, errorKind, RunError } from '../train/errors';
export { type EvalResult, evaluate, evaluating } from '../train/evaluate';
export type { Schedule } from '../train/factories';
export {
  checkpointVocab,
  encode,
  generate,
  type LanguageModel,
  languageModel,
  modelBackend,
  RECORD_SAMPLE_CHARS,
  recordSample,
} from '../train/generate';
export { type LrFindOptions, lrFind } from '../train/lr_find';
export type { CheckpointReason } from '../train/run';
export {
  type EpochReport,
  type FitOptions,
  type HistogramItem,
  openRun,
  Run,
  type RunHooks,
  type RunPhase,
  type RunSource,
} from '../train/run';
export { drawSweep } from '../train/sweep_draw';
export type { EpochTrainResult, HistogramProbe, StepMetric, TrainControl } from '../train/trainer';
export { DivergenceError, pacedYield, Trainer } from '../train/trainer';
