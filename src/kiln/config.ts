/**
 * `kiln/config`: every training setting declared once (the SETTINGS table: field, flag, label, range,
 * PyTorch's default), the defaults, the one validator, text sampling's options, and the learning-rate
 * range test's settings and the reading of its curve (its marks and suggestion). Loads no tensor code.
 *
 * @module kiln/config
 */

export type { DataFacts, SchedulerParamKey, SettingKind } from '../train/config';
export {
  ConfigError,
  type ConfigProblem,
  checkConfig,
  choicesOf,
  configProblems,
  type DataKind,
  DEFAULT_CONFIG,
  DEFAULT_TEXT_CONFIG,
  defaultScheduler,
  labelOf,
  MNIST_NORMALIZATION,
  OPTIMIZER_DEFAULTS,
  OPTIMIZERS,
  type OptimizerName,
  PER_DATASET_SETTINGS,
  resolveConfig,
  SCHEDULER_PARAMS,
  SCHEDULERS,
  type SchedulerConfig,
  type SchedulerName,
  SETTINGS,
  type Setting,
  type SettingBase,
  schedulerParams,
  settingApplies,
  type TrainConfig,
} from '../train/config';
export { configJson, trainConfig } from '../train/config_read';
export {
  checkLrFindOptions,
  LR_FIND_DEFAULTS,
  LR_FIND_MAX_IT,
  type LrFindEnd,
  type LrFindPoint,
  type LrFindResult,
  type LrFindSettings,
  type LrMark,
  lrAt,
  lrMarks,
  markedRange,
  roundLr,
} from '../train/lr_curve';
export {
  MAX_SAMPLE_CHARS,
  SAMPLE_DEFAULTS,
  SampleError,
  type SampleOptions,
  sampleOptionsError,
} from '../train/sample_options';
export {
  applyPoint,
  checkSweep,
  gridValues,
  MAX_SWEEP_RUNS,
  parseSweepValues,
  runName,
  SWEEP_FIELDS,
  type SweepAxis,
  type SweepField,
  type SweepPoint,
  type SweepRun,
  type SweepSpec,
  type SweepValue,
  type SweepValues,
  sweepFieldOf,
  sweepName,
  sweepPoints,
  sweepSize,
  valueText,
} from '../train/sweep';
