/**
 * `kiln/tensorboard`: TensorBoard event files (`torch.utils.tensorboard.SummaryWriter`'s scalars,
 * histograms and text) and scalars as CSV. Loads no tensor code; a training-only app need not import it.
 *
 * @module kiln/tensorboard
 */
export { type ScalarPoint, scalarsToCsv } from '../train/csv';
export {
  folderNames,
  type HParamInfo,
  type HParamsRun,
  type HParamValue,
  hparamInfos,
  type LogdirFile,
  type SessionStatus,
  tensorboardLogdir,
  writeExperiment,
  writeSessionEnd,
  writeSessionStart,
} from '../train/hparams';
export { eventFileName, markdownVerbatim, SummaryWriter } from '../train/tensorboard';
