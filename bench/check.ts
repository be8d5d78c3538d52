/**
 * Kiln's kernels checked on an adapter against the cpu reference: a training step (forward, loss,
 * backward) of a small transformer on token ids and of the CNN preset, on both backends from the
 * same seed, every gradient compared. bench.html?check=1 runs it on the browser's own adapter, so
 * the e2e suite sees Kiln's WGSL (not a kernel of its own) compute the right numbers in Chromium.
 */

import { type Backend, Generator, getDefaultBackend, manualSeed, ops, setDefaultBackend } from 'kiln';
import { buildModel, CrossEntropyLoss } from 'kiln/nn';
import { type ModelSpec, PRESETS, parseSpec } from 'kiln/spec';

/** One checked tensor: the largest difference from the cpu's value, relative to the cpu's largest. */
export interface CheckRow {
  name: string;
  maxError: number;
  ok: boolean;
}

// Awkward sizes on purpose: 7 positions, 3 heads of 4, a vocabulary of 13 (no multiple of a tile).
const GPT: ModelSpec = parseSpec(
  'wte=embedding:13:12,wpe=posembed,h=repeat:2(residual(ln_1=layernorm,attn=attn:3),residual(ln_2=layernorm,c_fc=linear:20,gelu,c_proj=linear:12)),ln_f=layernorm,lm_head=linear:13',
  [7],
  'check-gpt',
  'int32',
);

/** The loss and every parameter's gradient after one step of `spec` on `backend`, read back. */
async function step(backend: Backend, spec: ModelSpec, batch: number): Promise<Map<string, Float32Array>> {
  const saved = getDefaultBackend();
  setDefaultBackend(backend);
  manualSeed(0);
  try {
    const model = buildModel(spec);
    const g = new Generator(1);
    const tokens = spec.inputDtype === 'int32';
    const sample = spec.inputShape.reduce((a, b) => a * b, 1);
    const input = tokens
      ? ops.tensor(
          backend,
          Int32Array.from({ length: batch * sample }, () => g.nextU32() % 13),
          [batch, ...spec.inputShape],
          'int32',
        )
      : ops.tensor(
          backend,
          Float32Array.from({ length: batch * sample }, () => g.normal()),
          [batch, ...spec.inputShape],
        );
    const positions = tokens ? sample : 1;
    const labels = ops.tensor(
      backend,
      Int32Array.from({ length: batch * positions }, () => g.nextU32() % (tokens ? 13 : 10)),
      tokens ? [batch, positions] : [batch],
      'int32',
    );
    const loss = new CrossEntropyLoss().forward(model.forward(input), labels);
    loss.backward();
    const out = new Map<string, Float32Array>([['loss', (await loss.data()) as Float32Array]]);
    for (const [name, p] of model.namedParameters())
      out.set(`${name}.grad`, (await p.grad!.data()) as Float32Array);
    return out;
  } finally {
    setDefaultBackend(saved);
  }
}

/** Each compared tensor of both models: within 1e-3 of the cpu's largest magnitude, and finite. */
export async function kernelCheck(gpu: Backend, cpu: Backend): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const [label, spec, batch] of [
    ['transformer', GPT, 3],
    ['CNN preset', PRESETS.cnn, 2],
  ] as const) {
    const [want, got] = [await step(cpu, spec, batch), await step(gpu, spec, batch)];
    for (const [name, w] of want) {
      const v = got.get(name)!;
      let scale = 1e-6;
      for (const x of w) scale = Math.max(scale, Math.abs(x));
      let maxError = 0;
      for (let i = 0; i < w.length; i++) maxError = Math.max(maxError, Math.abs(v[i] - w[i]) / scale);
      // NaN never passes: a NaN difference fails the comparison below.
      rows.push({ name: `${label} ${name}`, maxError, ok: maxError <= 1e-3 });
    }
  }
  return rows;
}
