// Trains SimpleNN (784-128-10, Adam) on the first 512 images of an MNIST IDX pair and validates on
// 500 others: the same code in the browser (main.js) and in Node (../node.js). Only the package's
// public entry points are imported.
import { setDefaultBackend, WebGPUBackend } from 'kiln';
import { DEFAULT_CONFIG } from 'kiln/config';
import { idxDatasets } from 'kiln/datasets';
import { PRESETS } from 'kiln/spec';
import { prepareData, Run } from 'kiln/train';

/**
 * `gpu` from acquireGpu (kiln/gpu) or acquireNodeGpu (kiln/node); `files` the images and labels as
 * `{ name, bytes }` (IDX, gzipped or not). Resolves to the last epoch's report.
 */
export async function trainSimpleNN(gpu, files, log = console.log) {
  const backend = new WebGPUBackend(gpu.device, { subgroups: gpu.subgroups });
  setDefaultBackend(backend);
  const mnist = await idxDatasets({ trainImages: files.images, trainLabels: files.labels }, { name: 'mnist' });
  const config = { ...DEFAULT_CONFIG, epochs: 2, limit: 512, valSplit: 500 };
  const run = Run.create(PRESETS.simplenn, config, prepareData(backend, mnist, config));
  let last;
  await run.fit({
    epoch: (r) => {
      last = r;
      log(`epoch ${r.epoch}: train loss ${r.train.trainLoss.toFixed(4)}, val accuracy ${r.val.accuracy.toFixed(4)}`);
    },
  });
  run.dispose(); // its parameters, optimizer state and data leave the GPU
  backend.dispose();
  return last;
}
