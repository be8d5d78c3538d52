/**
 * `kiln/checkpoint`: files PyTorch reads: safetensors state dicts (`fc1.weight` [out, in]) and Kiln's
 * checkpoints (a state dict with the run's settings, optimizer state and history). Loads no tensor code.
 *
 * @module kiln/checkpoint
 */
export {
  CHECKPOINT_KEY,
  type Checkpoint,
  CheckpointError,
  type CheckpointMeta,
  encodeCheckpoint,
  MAX_HISTORY,
  modelStateFromFile,
  parseCheckpoint,
  type Scalar,
} from '../train/checkpoint';
export type { TensorData } from '../train/safetensors';
export {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsFile,
  type SafetensorsTensor,
  safetensorsMetadata,
  withMetadata,
} from '../train/safetensors';
export { safetensorsToStateDict, stateDictToSafetensors } from '../train/state_dict';
