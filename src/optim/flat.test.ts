/**
 * Flat parameter groups: a step whose gradients all came from backward() into their slots updates
 * the whole group in one launch, and lands on exactly the values of the parameter-by-parameter
 * update; gradients still sum correctly when a parameter is used twice or backward() runs twice;
 * the optimizer's state reads back per parameter and loads back. On both backends.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { F } from '../autograd';
import { BatchNorm2d, Conv2d, Flatten, Linear, type Module, Parameter, ReLU, Sequential } from '../nn';
import type { Backend, KernelCall } from '../tensor/backend';
import { getDefaultBackend, manualSeed, setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { tidy } from '../tensor/tensor';
import { assertClose, bothBackends, randn, readAll } from '../tensor/testing';
import { Adam, AdamW } from './adam';
import { clipGradNorm_, clipGradValue_ } from './clip_grad';
import type { Optimizer } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

const saved = getDefaultBackend();
afterEach(() => setDefaultBackend(saved));

/** A small CNN at awkward sizes: conv (weight, bias), batch norm (weight, bias), linear. */
function model(b: Backend): Module {
  setDefaultBackend(b);
  manualSeed(5);
  return new Sequential(
    new Conv2d(2, 3, 3, { padding: 1 }),
    new BatchNorm2d(3),
    new ReLU(),
    new Flatten(),
    new Linear(3 * 5 * 7, 6),
  );
}

const OPTIMIZERS: Record<string, (m: Module) => Optimizer> = {
  adam: (m) => new Adam(m.parameters(), { lr: 0.01, weightDecay: 0.1 }),
  adamw: (m) => new AdamW(m.parameters(), { lr: 0.01 }),
  sgd: (m) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true }),
  rmsprop: (m) => new RMSprop(m.parameters(), { lr: 0.01, momentum: 0.5 }),
};

/** Counts launches by kernel name. */
function countLaunches(b: Backend): Map<string, number> {
  const counts = new Map<string, number>();
  const run = b.run.bind(b);
  b.run = (call: KernelCall) => {
    counts.set(call.kernel, (counts.get(call.kernel) ?? 0) + 1);
    run(call);
  };
  return counts;
}

/**
 * Three training steps. With `perParameter`, each gradient is replaced by a copy outside its
 * slot before the step, which forces the parameter-by-parameter update.
 */
async function train(
  b: Backend,
  make: (m: Module) => Optimizer,
  perParameter: boolean,
  clip: (ps: Parameter[]) => void = () => {},
) {
  const m = model(b);
  const opt = make(m);
  const x = randn(b, [4, 2, 5, 7], 1);
  const y = ops.tensor(b, new Int32Array([0, 5, 2, 2]));
  const kernel = opt instanceof SGD ? 'sgd' : opt instanceof RMSprop ? 'rmsprop' : 'adam';
  const counts = countLaunches(b);
  for (let step = 0; step < 3; step++) {
    tidy(() => {
      F.crossEntropy(m.forward(x), y).backward();
      if (perParameter)
        for (const p of m.parameters()) {
          const copy = ops.clone(p.grad!).keep();
          p.grad!.dispose();
          p.grad = copy;
        }
      clip(m.parameters());
      opt.step();
      opt.zeroGrad();
    });
  }
  return { params: await readAll(m.parameters()), launches: counts.get(kernel), opt, m };
}

describe('flat parameter groups', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    test(`${name}: one launch per step, the same values as one launch per parameter`, async () => {
      for (const b of await bothBackends()) {
        const flat = await train(b, make, false);
        const each = await train(b, make, true);
        expect(flat.launches).toBe(3);
        expect(each.launches).toBe(3 * 6);
        flat.params.forEach((v, i) => {
          assertClose(v, each.params[i], 0, 0, `${name} on ${b.name}, parameter ${i}`);
        });
      }
    });
  }

  test('clipping changes gradients in place: they stay in their slots and the step stays one launch', async () => {
    const clips: Record<string, (ps: Parameter[]) => void> = {
      norm: (ps) => clipGradNorm_(ps, 0.05).dispose(),
      value: (ps) => clipGradValue_(ps, 0.01),
    };
    for (const b of await bothBackends()) {
      for (const [name, clip] of Object.entries(clips)) {
        const flat = await train(b, OPTIMIZERS.adam, false, clip);
        const each = await train(b, OPTIMIZERS.adam, true, clip);
        // One launch per step: the clipped gradients are still in their slots.
        expect(flat.launches).toBe(3);
        flat.params.forEach((v, i) => {
          // The flat norm sums the same squares in another order.
          assertClose(v, each.params[i], 1e-5, 1e-6, `clip ${name} on ${b.name}, parameter ${i}`);
        });
      }
    }
  });

  test('a flat step after a parameter-by-parameter one updates every parameter', async () => {
    // In step 1, v's gradient is set by hand, outside its slot, so each parameter gets a launch
    // over its slices; step 2 is flat. w's launch and the flat one start at the same offsets of the
    // same buffers, so the backend must not mistake one's bindings for the other's.
    const results = [];
    for (const b of await bothBackends()) {
      setDefaultBackend(b);
      const x = randn(b, [3, 4], 8);
      const w = new Parameter(randn(b, [5, 4], 9));
      const v = new Parameter(randn(b, [5], 10));
      const opt = new Adam([w, v], { lr: 0.1 });
      for (const flat of [false, true]) {
        tidy(() => F.sum(F.linear(x, w, flat ? v : undefined)).backward());
        if (!flat) v.grad = ops.full(b, [5], 0.5).keep();
        opt.step();
        opt.zeroGrad();
        b.flush();
      }
      results.push(await readAll([w, v]));
    }
    assertClose(results[1][0], results[0][0], 1e-5, 1e-6, 'w');
    assertClose(results[1][1], results[0][1], 1e-5, 1e-6, 'v');
  });

  test('the flat step on webgpu matches the cpu backend', async () => {
    const [cpu, gpu] = await bothBackends();
    const [a, b] = [await train(cpu, OPTIMIZERS.adam, false), await train(gpu, OPTIMIZERS.adam, false)];
    a.params.forEach((v, i) => {
      assertClose(b.params[i], v, 1e-4, 1e-5, `parameter ${i}`);
    });
  });

  test('the state reads back per parameter and loads back into a fresh optimizer', async () => {
    for (const b of await bothBackends()) {
      const { opt, m } = await train(b, OPTIMIZERS.adam, false);
      const sd = await opt.stateDict();
      const shapes = m.parameters().map((p) => [...p.shape]);
      expect(Object.keys(sd.state)).toHaveLength(6);
      for (const [i, s] of Object.entries(sd.state)) {
        expect(s.step).toBe(3);
        expect((s.exp_avg as { shape: number[] }).shape).toEqual(shapes[Number(i)]);
      }
      const other = OPTIMIZERS.adam(model(b));
      other.loadStateDict(sd);
      expect(await other.stateDict()).toEqual(sd);
    }
  });

  test('a parameter used twice, and gradients summed over two backward() calls, fill the slot right', async () => {
    for (const b of await bothBackends()) {
      setDefaultBackend(b);
      const [x, x2] = [randn(b, [3, 4], 2), randn(b, [3, 4], 6)];
      const grads = [];
      for (const flat of [true, false]) {
        const w = new Parameter(randn(b, [5, 4], 3));
        const v = new Parameter(randn(b, [5], 4));
        if (flat) new SGD([w, v], { lr: 0.1 });
        expect(w.gradSlot !== null).toBe(flat);
        tidy(() => {
          // w feeds two linear layers; then a second backward() adds to both gradients.
          const twice = F.add(F.linear(x, w, v), F.linear(x2, w));
          F.sum(F.mul(twice, twice)).backward();
          F.sum(F.linear(x, w, v)).backward();
        });
        grads.push(await readAll([w.grad!, v.grad!]));
      }
      assertClose(grads[0][0], grads[1][0], 1e-6, 1e-6, `weight gradient on ${b.name}`);
      assertClose(grads[0][1], grads[1][1], 1e-6, 1e-6, `bias gradient on ${b.name}`);
    }
  });
});
