/**
 * `kiln/node`: Kiln in Node: a WebGPU device through Dawn (the `webgpu` npm package, installed beside
 * Kiln) and dataset files read from disk. Not for browsers.
 *
 * @module kiln/node
 */

export type { IdxPaths } from '../data/node';
export {
  idxFileIn,
  loadCsvFile,
  loadIdxFiles,
  loadMnistFromDir,
  loadTextFile,
  mnistDataDir,
} from '../data/node';
export { acquireNodeGpu, acquireNullGpu, nodeGpu } from '../gpu/node';
