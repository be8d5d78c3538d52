/**
 * `npm run bench [-- --json] [-- --samples N] [-- --epochs N]`: SimpleNN training (784-128-10, Adam, batch 64, real
 * MNIST) on Kiln's WebGPU backend and on TensorFlow.js's WebGPU backend, in this process on the
 * same adapter, plus matmul at MNIST's shapes and at square sizes. Each row gives both figures and
 * the ratio.
 */
import { parseArgs } from 'node:util';
import { adapterName } from '../src/gpu/device';
import { acquireNodeGpu, nodeGpu } from '../src/gpu/node';
import {
  type BenchRow,
  benchKilnMatmul,
  benchKilnTraining,
  benchTfjsMatmul,
  benchTfjsTraining,
  loadBenchData,
  tfjsSetup,
} from './suite';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    samples: { type: 'string', default: '6400' },
    epochs: { type: 'string', default: '2' },
    'skip-tfjs': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    matmul: { type: 'string', default: '64x784x128,64x128x10,256,1024' },
  },
});

const gpu = await acquireNodeGpu();
const log = (s: string) => process.stderr.write(`${s}\n`);
log(`Adapter: ${adapterName(gpu.summary)}`);
const data = await loadBenchData(Number(values.samples));
const tf = values['skip-tfjs'] ? null : await tfjsSetup(nodeGpu());
const rows: BenchRow[] = [];
const epochs = Number(values.epochs);
const { samplesPerSec: kilnTrain, profile } = await benchKilnTraining(
  gpu.device,
  data,
  epochs,
  values.profile,
);
const tfTrain = tf ? await benchTfjsTraining(tf, data, epochs) : null;
rows.push({
  name: `SimpleNN train, ${data.count} samples, batch 64 (samples/s)`,
  kiln: kilnTrain,
  tfjs: tfTrain,
  higherIsBetter: true,
});
for (const shape of (values.matmul ?? '').split(',').filter(Boolean)) {
  const [m, k, n] = shape.includes('x')
    ? shape.split('x').map(Number)
    : [Number(shape), Number(shape), Number(shape)];
  rows.push({
    name: `matmul ${m}x${k} @ ${k}x${n} (GFLOP/s)`,
    kiln: await benchKilnMatmul(gpu.device, m, k, n),
    tfjs: tf ? await benchTfjsMatmul(tf, m, k, n) : null,
    higherIsBetter: true,
  });
}
for (const r of rows) {
  const ratio = r.tfjs ? r.kiln / r.tfjs : null;
  if (values.json)
    console.log(
      JSON.stringify({ bench: r.name, kiln: r.kiln, tfjs: r.tfjs, ratio, adapter: adapterName(gpu.summary) }),
    );
  else
    console.log(
      `${r.name.padEnd(52)} kiln ${r.kiln.toFixed(1).padStart(10)}   tfjs ${r.tfjs === null ? '-'.padStart(10) : r.tfjs.toFixed(1).padStart(10)}   ratio ${ratio === null ? '-' : `${ratio.toFixed(2)}x`}`,
    );
}
if (profile) {
  const total = profile.reduce((s, k) => s + k.ns, 0);
  log('\nGPU time per kernel over one profiled epoch (top 15):');
  for (const k of profile.slice(0, 15)) {
    log(
      `${(k.ns / 1e6).toFixed(1).padStart(9)} ms ${((100 * k.ns) / total).toFixed(1).padStart(5)}%  ${String(k.calls).padStart(6)} calls  ${k.label}`,
    );
  }
}
process.exit(0);
