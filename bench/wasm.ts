/**
 * Kiln on its wasm backend beside PyTorch CPU eager, in `npm run bench` (Node): the bench's
 * SimpleNN, LeNet-5 and the CNN preset, trained by the same trainer as the WebGPU rows (Adam, batch
 * 64, real MNIST, best epoch after the first), and Debian's torch training the same models,
 * exported by Kiln's train.py, on the same MNIST samples with `torch.set_num_threads(n)` (the image
 * rows' runner, bench/torch.ts). Two rows per model, each like for like:
 * Kiln on one thread beside PyTorch on one, and Kiln on every core (the backend's threads) beside
 * PyTorch on every core.
 */
import { cpus } from 'node:os';
import { WasmBackend } from 'kiln/wasm';
import { type BenchData, type BenchModel, type BenchRow, benchTrainer } from './suite';
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
 * The WASM rows (each side the best of two turns): for SimpleNN (and LeNet-5 and the CNN preset
 * unless the CNN sample count is 0, as the bench's CNN rows), Kiln on wasm on one thread beside
 * PyTorch on one, and Kiln on every core beside PyTorch on every core.
 */
export async function benchWasmRows(
  data: BenchData,
  epochs: number,
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
    // Kiln and PyTorch take turns, twice, and each keeps its best: on a busy machine a quiet moment
    // is as likely to fall to either.
    for (let turn = 0; turn < 2; turn++) {
      for (const threads of threadCounts)
        kiln.set(
          threads,
          Math.max(kiln.get(threads) ?? 0, await benchWasmTraining(data, preset, epochs, threads)),
        );
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
      const t = `${threads} thread${threads === 1 ? '' : 's'}`;
      rows.push({
        name: `${label} train on WASM (${t}), ${count} samples, batch 64 (samples/s)`,
        kiln: kiln.get(threads) ?? 0,
        tfjs: null,
        higherIsBetter: true,
        torch: torch.get(threads) ?? null,
        note: `torch: PyTorch CPU eager, ${t}`,
      });
    }
  }
  if (missing) log(`WASM rows: no PyTorch figure: ${missing}`);
  return rows;
}
