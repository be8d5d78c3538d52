/**
 * The benchmark suite in the browser (bench.html): the same workloads as `npm run bench`, on the
 * page's own WebGPU adapter, with MNIST from the site (or the IndexedDB cache); then the playground
 * itself, in a frame, training SimpleNN while its main thread's long tasks and frame gaps are
 * measured (figures, not pass/fail: a busy machine stretches them). The results table is also left
 * on `window.kilnBench` for automation.
 */

import { type Backend, CpuBackend, WebGPUBackend } from 'kiln';
import { loadMnist } from 'kiln/datasets';
import { acquireGpu, adapterName } from 'kiln/gpu';
import { WasmBackend } from 'kiln/wasm';
import { type CheckRow, kernelCheck } from './check';
import { type BenchRow, DEFAULT_MATMUL, matmulShapes, runSuite } from './suite';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status') as HTMLElement;
const table = document.getElementById('results') as HTMLTableElement;

function cell(text: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

/** The element of `doc` that the label with text `label` names. */
function labelled(doc: Document, label: string): HTMLInputElement {
  const l = [...doc.querySelectorAll('label')].find((x) => x.textContent?.trim() === label);
  const input = l?.htmlFor ? doc.getElementById(l.htmlFor) : null;
  if (!(input instanceof (doc.defaultView as Window & typeof globalThis).HTMLInputElement))
    throw new Error(`the playground has no field ${label}`);
  return input;
}

/** Types `value` into a React-controlled input (React listens for input events, not value changes). */
function fill(input: HTMLInputElement, value: string): void {
  const realm = input.ownerDocument.defaultView as Window & typeof globalThis;
  Object.getOwnPropertyDescriptor(realm.HTMLInputElement.prototype, 'value')?.set?.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

/** Resolves once `ready()` holds, checking twice a second. */
async function until(ready: () => boolean, what: string, timeoutMs = 180_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The playground (index.html, in a 1280x720 frame) trains SimpleNN for one epoch of `samples`
 * samples; meanwhile the frame's main thread is watched: its long tasks (over 50 ms) and the gaps
 * between its animation frames, from the press of Train to "Finished".
 */
async function pageWhileTraining(samples: number): Promise<BenchRow[]> {
  const frame = document.createElement('iframe');
  frame.width = '1280';
  frame.height = '720';
  frame.title = 'The playground, training';
  frame.src = new URL('./', location.href).href;
  document.body.append(frame);
  await new Promise((r) => frame.addEventListener('load', r, { once: true }));
  const win = frame.contentWindow as Window & typeof globalThis;
  const doc = win.document;
  const training = () => doc.querySelector('section.training')?.textContent ?? '';
  await until(() => /mnist-train/.test(doc.body.textContent ?? ''), 'MNIST in the playground');
  fill(labelled(doc, 'Limit training samples'), String(samples));
  fill(labelled(doc, 'Epochs'), '1');
  const train = [...doc.querySelectorAll('button')].find((b) => b.textContent === 'Train');
  if (!train) throw new Error('the playground has no Train button');
  await until(() => !train.disabled, 'the playground to be ready to train');
  const tasks: number[] = [];
  const observer = new win.PerformanceObserver((list) => {
    for (const e of list.getEntries()) tasks.push(e.duration);
  });
  observer.observe({ type: 'longtask' });
  const gaps: number[] = [];
  let last = win.performance.now();
  let watching = true;
  const tick = (t: number) => {
    gaps.push(t - last);
    last = t;
    if (watching) win.requestAnimationFrame(tick);
  };
  win.requestAnimationFrame(tick);
  train.click();
  await until(() => /Finished|Failed/.test(training()), 'the playground to finish training');
  watching = false;
  observer.disconnect();
  frame.remove();
  const row = (name: string, value: number): BenchRow => ({
    name,
    kiln: value,
    tfjs: null,
    higherIsBetter: false,
  });
  const over50 = (xs: number[]) => xs.filter((x) => x > 50).length;
  const what = `the playground training SimpleNN, ${samples} samples`;
  return [
    row(`${what}: longest main-thread task (ms)`, Math.max(0, ...tasks)),
    row(`${what}: main-thread tasks over 50 ms`, over50(tasks)),
    row(`${what}: longest frame gap (ms)`, Math.max(0, ...gaps)),
    row(`${what}: frame gaps over 50 ms`, over50(gaps)),
  ];
}

function show(rows: BenchRow[]): void {
  const body = table.tBodies[0];
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.append(
      cell(r.name),
      cell(r.kiln.toFixed(1)),
      cell(r.tfjs === null ? '—' : r.tfjs.toFixed(1)),
      cell(r.tfjs ? `${(r.kiln / r.tfjs).toFixed(2)}x` : (r.note ?? '—')),
    );
    body.append(tr);
  }
  table.hidden = false;
}

/**
 * bench.html?check=1: Kiln's kernels against the cpu reference on this adapter, instead of
 * timings; bench.html?check=wasm: the wasm backend's (no WebGPU needed). `where` names what ran.
 */
async function check(where: string, backend: Backend): Promise<void> {
  status.textContent = `${where}. Checking Kiln's kernels…`;
  const rows = await kernelCheck(backend, new CpuBackend());
  const head = table.tHead?.rows[0];
  if (head)
    head.replaceChildren(cell('Tensor'), cell("Largest difference (of the cpu's largest)"), cell('Agrees'));
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.append(cell(r.name), cell(r.maxError.toExponential(2)), cell(r.ok ? 'yes' : 'NO'));
    table.tBodies[0].append(tr);
  }
  table.hidden = false;
  (window as unknown as { kilnCheck: CheckRow[] }).kilnCheck = rows;
  const bad = rows.filter((r) => !r.ok).length;
  status.textContent = `${where}. Done: ${rows.length - bad} of ${rows.length} tensors agree with the cpu reference.`;
}

async function main(): Promise<void> {
  if (params.get('check') === 'wasm') return check('WASM backend', await WasmBackend.create());
  const gpu = await acquireGpu(navigator.gpu);
  if (params.get('check') === '1')
    return check(
      `Adapter: ${adapterName(gpu.summary)}`,
      new WebGPUBackend(gpu.device, { subgroups: gpu.subgroups }),
    );
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
      matmul: matmulShapes(params.get('matmul') ?? DEFAULT_MATMUL) ?? [],
      tfjs: params.get('tfjs') !== '0',
      profile: false,
      gptSteps: Number(params.get('gpt-steps') ?? 5),
    },
  );
  const pageSamples = Number(params.get('page') ?? 3000);
  if (pageSamples > 0) {
    status.textContent = `Adapter: ${adapterName(gpu.summary)}. Training in the playground (${pageSamples} samples)…`;
    result.rows.push(...(await pageWhileTraining(pageSamples)));
  }
  show(result.rows);
  (window as unknown as { kilnBench: BenchRow[] }).kilnBench = result.rows;
  status.textContent = `Adapter: ${adapterName(gpu.summary)}. Done.`;
}

main().catch((e) => {
  status.textContent = `The benchmark failed: ${e instanceof Error ? e.message : String(e)}`;
});
