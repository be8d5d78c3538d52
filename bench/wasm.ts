/**
 * Kiln on its wasm backend beside TF.js on its WASM backend and PyTorch CPU eager, in `npm run bench`
 * (Node): the bench's SimpleNN, LeNet-5 and the CNN preset, trained by the same trainer as the WebGPU
 * rows (Adam, batch 64, real MNIST, best epoch after the first); TF.js training the WebGPU rows'
 * tfjs-layers model with the same loop, switched to 'wasm' (bench/tfjs-wasm.ts); and Debian's torch
 * training the same models, exported by Kiln's train.py, on the same MNIST samples with
 * `torch.set_num_threads(n)` (the image rows' runner, bench/torch.ts). Two rows per model, each like
 * for like: Kiln on one thread beside TF.js and PyTorch on one, and Kiln on every core (the backend's
 * threads) beside TF.js and PyTorch on every core.
 */
import { cpus } from 'node:os';
import { WasmBackend } from 'kiln/wasm';
import { type BenchData, type BenchModel, type BenchRow, benchTfjsTraining, benchTrainer } from './suite';
import { tfjsWasm } from './tfjs-wasm';
import { benchTorchImages } from './torch';

/** The models the WASM rows train. */
type WasmModel = BenchModel | 'lenet';

/** Samples per second of Kiln training `preset` on a fresh wasm backend on `threads` threads (best epoch after the first). */
export async function benchWasmTraining(
  data: BenchData,
  preset: WasmModel,
  epochs: number,
  threads = 1,
): Promise<number> {
  const backend = await WasmBackend.create({ threads });
  const count = preset === 'simplenn' ? data.count : data.cnnCount;
  const { trainer, dispose } = benchTrainer(backend, data.raw, count, preset);
  let best = 0;
  for (let e = 0; e < Math.max(2, epochs); e++) {
    const r = await trainer.trainEpoch();
    if (e > 0 || epochs === 1) best = Math.max(best, r.samples / r.seconds);
  }
  dispose();
  backend.dispose();
  return best;
}

/**
 * Samples per second of TF.js training `preset` on its WASM backend (one thread: bench/tfjs-wasm.ts)
 * with the WebGPU rows' model and loop, or why there is no figure: the backend did not start, or
 * cannot train the model (a gradient kernel it lacks), in the error's words.
 */
async function benchTfjsWasmTraining(
  data: BenchData,
  preset: BenchModel,
  count: number,
  epochs: number,
): Promise<{ rate: number } | { missing: string }> {
  const t = await tfjsWasm();
  if ('missing' in t) return { missing: `TF.js WASM: not run, ${t.missing}` };
  try {
    return { rate: await benchTfjsTraining(t.tf, 'wasm', data.raw, count, preset, epochs) };
  } catch (e) {
    return { missing: `TF.js WASM cannot train it: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** "1 thread", "2 threads". */
const threadsText = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

/**
 * The WASM rows (each side the best of two turns): for SimpleNN (and LeNet-5 and the CNN preset
 * unless the CNN sample count is 0, as the bench's CNN rows), Kiln on wasm on one thread beside
 * TF.js WASM (unless `tfjs` is false) and PyTorch on one, and Kiln on every core beside PyTorch on
 * every core (TF.js WASM has no threads in Node).
 */
export async function benchWasmRows(
  data: BenchData,
  epochs: number,
  tfjs: boolean,
  log: (s: string) => void,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const models: [WasmModel, string, number][] = [['simplenn', 'SimpleNN', data.count]];
  if (data.cnnCount > 0)
    models.push(['lenet', 'LeNet-5', data.cnnCount], ['cnn', 'CNN with BatchNorm', data.cnnCount]);
  const cores = cpus().length;
  const threadCounts = cores > 1 ? [1, cores] : [1];
  let missing = '';
  for (const [preset, label, count] of models) {
    const kiln = new Map<number, number>();
    const torch = new Map<number, number>();
    // TF.js WASM's best (one thread), or why it has no figure.
    let tf: { rate: number } | { missing: string } | undefined;
    // Kiln, TF.js and PyTorch take turns, twice, and each keeps its best: on a busy machine a quiet
    // moment is as likely to fall to any.
    for (let turn = 0; turn < 2; turn++) {
      for (const threads of threadCounts) {
        kiln.set(
          threads,
          Math.max(kiln.get(threads) ?? 0, await benchWasmTraining(data, preset, epochs, threads)),
        );
        if (threads !== 1 || !tfjs || (tf && 'missing' in tf)) continue;
        const r = await benchTfjsWasmTraining(data, preset, count, epochs);
        tf = 'missing' in r || !tf || r.rate > tf.rate ? r : tf;
      }
      // The image rows' PyTorch run: every core, then one thread, on the same MNIST samples.
      const r = benchTorchImages(preset, data.raw, count, epochs);
      if ('missing' in r) missing = r.missing;
      else
        for (const [threads, figure] of [
          [cores, r.allCores],
          [1, r.oneThread],
        ])
          torch.set(threads, Math.max(torch.get(threads) ?? 0, figure));
    }
    for (const threads of threadCounts) {
      const t = threadsText(threads);
      const r = threads === 1 ? tf : undefined;
      const tfjsNote = !tfjs
        ? []
        : threads !== 1
          ? ['TF.js WASM: no threads in Node']
          : r && 'missing' in r
            ? [r.missing]
            : ['tfjs: TF.js WASM, 1 thread'];
      rows.push({
        name: `${label} train on WASM (${t}), ${count} samples, batch 64 (samples/s)`,
        backend: 'wasm',
        kiln: kiln.get(threads) ?? 0,
        tfjs: r && 'rate' in r ? r.rate : null,
        higherIsBetter: true,
        torch: torch.get(threads) ?? null,
        note: [...tfjsNote, `torch: PyTorch CPU eager, ${t}`].join('; '),
      });
    }
  }
  if (missing) log(`WASM rows: no PyTorch figure: ${missing}`);
  return rows;
}
