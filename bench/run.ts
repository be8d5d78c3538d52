/**
 * `npm run bench [-- --json] [-- --samples N] [-- --cnn-samples N] [-- --epochs N] [-- --profile]`
 * (every option in `-- --help`, declared in options.ts):
 * SimpleNN training (784-128-10, Adam, batch 64, real MNIST), LeNet-5's and the CNN preset's, on
 * Kiln's WebGPU backend and on TensorFlow.js's WebGPU backend, in this process on the same adapter,
 * and on PyTorch CPU eager (Debian's torch; all cores, and one thread) in the same run; conv2d,
 * and matmul at MNIST's shapes and at square sizes; the GPT preset's training tokens per second
 * and kernel launches per step, beside PyTorch CPU eager (Debian's torch) in the same run; and
 * SimpleNN, LeNet-5 and the CNN on Kiln's WASM backend beside TensorFlow.js's WASM backend (the
 * tfjs column, where it can train the model) and PyTorch CPU eager, on one thread and on every core
 * (bench/wasm.ts).
 * Each row gives both figures and the ratio. bench.html runs the same suite in the browser.
 */
import { adapterName } from 'kiln/gpu';
import { acquireNodeGpu, nodeGpu } from 'kiln/node';
import { BENCH_OPTIONS, benchArgs, benchHelp, benchMain, benchMnist } from './options';
import { formatRow, GPT_ROW, runSuite } from './suite';
import { benchTorchGpt, benchTorchImages } from './torch';
import { benchWasmRows } from './wasm';

await benchMain(async () => {
  // Every flag, and the data, are checked before the GPU is touched.
  const values = benchArgs(process.argv.slice(2));
  if (values.help) {
    console.log(benchHelp('Usage: npm run bench -- [options]', BENCH_OPTIONS));
    return;
  }
  const mnist = await benchMnist(values['data-dir']);
  const gpu = await acquireNodeGpu();
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const adapter = adapterName(gpu.summary);
  log(`Adapter: ${adapter}`);
  // TF.js's WebGPU backend looks for navigator.gpu: give it Dawn's, the adapter Kiln uses.
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: nodeGpu(), userAgent: 'node' },
    configurable: true,
  });
  const data = {
    raw: mnist.train,
    count: Math.min(values.samples, mnist.train.count),
    cnnCount: Math.min(values['cnn-samples'], mnist.train.count),
  };
  const { rows, profiles } = await runSuite(gpu, data, {
    epochs: values.epochs,
    matmul: values.matmul,
    tfjs: !values['skip-tfjs'],
    profile: values.profile ?? false,
    gptSteps: values['gpt-steps'],
    // After each image model's Kiln and TF.js figures (never at the same time as them).
    torch: (model, count) => {
      const t = benchTorchImages(model, data.raw, count, values.epochs);
      if ('missing' in t) {
        log(`${model}: no PyTorch figure: ${t.missing}`);
        return null;
      }
      log(`${model}: PyTorch CPU eager on ${t.threads} threads and on 1`);
      return t;
    },
  });
  const gpt = rows.find((r) => r.name === GPT_ROW);
  if (gpt) {
    // After Kiln's rows, so the two never share the CPU.
    const torch = benchTorchGpt(values['gpt-steps']);
    if ('missing' in torch) log(`GPT row: no PyTorch figure: ${torch.missing}`);
    else log(`GPT row: PyTorch CPU eager on ${torch.threads} threads`);
    gpt.torch = 'missing' in torch ? null : torch.tokensPerSec;
  }
  // Kiln on WASM beside TF.js on WASM and PyTorch, on one thread and on every core (bench/wasm.ts),
  // after the GPU rows: nothing shares the CPU. TF.js leaves WebGPU for good here.
  rows.push(...(await benchWasmRows(data, values.epochs, !values['skip-tfjs'], log)));
  // The names in one column, as wide as the longest.
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const ratio = r.tfjs ? r.kiln / r.tfjs : null;
    console.log(
      values.json
        ? JSON.stringify({
            bench: r.name,
            backend: r.backend ?? 'webgpu',
            kiln: r.kiln,
            tfjs: r.tfjs,
            ratio,
            ...(r.torch === undefined
              ? {}
              : { torch: r.torch, torch_ratio: r.torch ? r.kiln / r.torch : null }),
            ...(r.torchOneThread === undefined
              ? {}
              : {
                  torch_1_thread: r.torchOneThread,
                  torch_1_thread_ratio: r.torchOneThread ? r.kiln / r.torchOneThread : null,
                }),
            ...(r.launches === undefined ? {} : { launches_per_step: r.launches }),
            note: r.note,
            adapter,
          })
        : formatRow(r, nameWidth),
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
});
