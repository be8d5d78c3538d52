/**
 * The benchmark suite in the browser (bench.html): the same workloads as `npm run bench`, on the
 * page's own WebGPU adapter, with MNIST from the site (or the IndexedDB cache). The results table is
 * also left on `window.kilnBench` for automation.
 */
import { loadMnist } from '../src/data/mnist';
import { acquireGpu, adapterName } from '../src/gpu/device';
import { type BenchRow, runSuite } from './suite';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status') as HTMLElement;
const table = document.getElementById('results') as HTMLTableElement;

function cell(text: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function show(rows: BenchRow[]): void {
  const body = table.tBodies[0];
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.append(
      cell(r.name),
      cell(r.kiln.toFixed(1)),
      cell(r.tfjs === null ? '—' : r.tfjs.toFixed(1)),
      cell(r.tfjs ? `${(r.kiln / r.tfjs).toFixed(2)}x` : '—'),
    );
    body.append(tr);
  }
  table.hidden = false;
}

async function main(): Promise<void> {
  const gpu = await acquireGpu(navigator.gpu);
  status.textContent = `Adapter: ${adapterName(gpu.summary)}. Loading MNIST…`;
  const mnist = await loadMnist();
  const count = Math.min(Number(params.get('samples') ?? 6400), mnist.train.count);
  const cnnCount = Math.min(Number(params.get('cnn') ?? 640), mnist.train.count);
  status.textContent = `Adapter: ${adapterName(gpu.summary)}. Running (${count} samples)…`;
  const result = await runSuite(
    gpu,
    { raw: mnist.train, count, cnnCount },
    {
      epochs: Number(params.get('epochs') ?? 2),
      matmul: (params.get('matmul') ?? '64x784x128,64x128x10,256,1024').split(',').filter(Boolean),
      tfjs: params.get('tfjs') !== '0',
      profile: false,
    },
  );
  show(result.rows);
  (window as unknown as { kilnBench: BenchRow[] }).kilnBench = result.rows;
  status.textContent = `Adapter: ${adapterName(gpu.summary)}. Done.`;
}

main().catch((e) => {
  status.textContent = `The benchmark failed: ${e instanceof Error ? e.message : String(e)}`;
});
