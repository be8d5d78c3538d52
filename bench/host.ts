/**
 * `npm run bench:host [-- --json] [-- --epochs N]`: the CPU side of training alone. Full MNIST
 * epochs (60,000 samples, batch 64) of SimpleNN and the CNN preset on Dawn's null backend, which
 * validates, records and submits every launch but runs none: the epoch time an infinitely fast GPU
 * would give on this CPU, the floor under any real GPU's figure (a GPU's own time overlaps it).
 */

import { type Storage, WebGPUBackend } from 'kiln';
import { acquireNullGpu } from 'kiln/node';
import { benchHelp, benchMain, benchMnist, HOST_OPTIONS, hostArgs } from './options';
import { benchKilnTraining, MODEL_NAMES } from './suite';

/**
 * Reads back zeros, after paying for the real readback: on the null backend a read returns
 * uninitialised memory, whose NaNs would stop training as a diverging loss.
 */
class NullGpuBackend extends WebGPUBackend {
  override async read(s: Storage, bytes?: number): Promise<ArrayBuffer> {
    return new ArrayBuffer((await super.read(s, bytes)).byteLength);
  }
}

await benchMain(async () => {
  const values = hostArgs(process.argv.slice(2));
  if (values.help) {
    console.log(benchHelp('Usage: npm run bench:host -- [options]', HOST_OPTIONS));
    return;
  }
  const mnist = await benchMnist(values['data-dir']);
  const gpu = await acquireNullGpu();
  const count = mnist.train.count;
  for (const preset of ['simplenn', 'lenet', 'cnn'] as const) {
    const backend = new NullGpuBackend(gpu.device);
    const r = await benchKilnTraining(backend, mnist.train, count, preset, values.epochs);
    const epoch = count / r.samplesPerSec;
    console.log(
      values.json
        ? JSON.stringify({
            bench: `${preset} epoch on the null GPU`,
            seconds: epoch,
            hostMicrosPerStep: r.hostMicros,
          })
        : `${MODEL_NAMES[preset].padEnd(18)} ${count} samples, batch 64, no GPU work: epoch ${epoch.toFixed(3)} s, host ${r.hostMicros.toFixed(0)} us per step`,
    );
  }
});
