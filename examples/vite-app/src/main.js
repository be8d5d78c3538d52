import { acquireGpu } from 'kiln/gpu';
import { trainSimpleNN } from './train.js';

const out = document.querySelector('#log');
const log = (line) => {
  out.textContent += `${line}\n`;
};

async function bytesOf(name) {
  const response = await fetch(`mnist/${name}`);
  if (!response.ok) throw new Error(`mnist/${name}: ${response.status}`);
  return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
}

try {
  const gpu = await acquireGpu(navigator.gpu);
  log(`adapter: ${gpu.summary.description || gpu.summary.vendor}`);
  const files = {
    images: await bytesOf('t10k-images-idx3-ubyte.gz'),
    labels: await bytesOf('t10k-labels-idx1-ubyte.gz'),
  };
  const report = await trainSimpleNN(gpu, files, log);
  document.body.dataset.accuracy = String(report.val.accuracy);
  log('done');
} catch (e) {
  log(`error: ${e.message}`);
  document.body.dataset.error = e.message;
}
