/**
 * `kiln/gpu`: getting a WebGPU device with the limits training needs, and what the adapter is, as
 * `torch.cuda` is to PyTorch. Loads no tensor code, so a page can ask before it loads the engine.
 *
 * @module kiln/gpu
 */
export {
  type AdapterSummary,
  acquireGpu,
  adapterName,
  type Gpu,
  NoWebGPUError,
  summarizeAdapter,
  TRAINING_LIMITS,
  type TrainingLimit,
} from '../gpu/device';
export type { KernelTime } from '../gpu/profiler';
