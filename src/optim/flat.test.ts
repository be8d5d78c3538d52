/**
 * Flat parameter groups: a step updates the whole group in one launch and lands on exactly the
 * values of one optimizer per parameter; gradients still sum correctly when a parameter is used
 * twice or backward() runs twice; two optimizers over the same parameters both step right, one
 * launch each; the state reads back per parameter and loads back; dispose() gives the memory
 * back. On both backends.
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

const OPTIMIZERS: Record<string, (ps: Parameter[]) => Optimizer> = {
  adam: (ps) => new Adam(ps, { lr: 0.01, weightDecay: 0.1 }),
  adamw: (ps) => new AdamW(ps, { lr: 0.01 }),
  sgd: (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
  rmsprop: (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.5 }),
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

/** The kernel an optimizer's step launches. */
const KERNEL = (opt: Optimizer) => (opt instanceof SGD ? 'sgd' : opt instanceof RMSprop ? 'rmsprop' : 'adam');

/**
 * Three training steps, each optimizer of `makes` stepping in turn (all over every parameter,
 * or with `perParameter` one optimizer per parameter, each a group of one).
 */
async function train(
  b: Backend,
  makes: ((ps: Parameter[]) => Optimizer)[],
  perParameter: boolean,
  clip: (ps: Parameter[]) => void = () => {},
) {
  const m = model(b);
  const ps = m.parameters();
  const opts = makes.flatMap((make) => (perParameter ? ps.map((p) => make([p])) : [make(ps)]));
  const x = randn(b, [4, 2, 5, 7], 1);
  const y = ops.tensor(b, new Int32Array([0, 5, 2, 2]));
  const counts = countLaunches(b);
  for (let step = 0; step < 3; step++) {
    tidy(() => {
      F.crossEntropy(m.forward(x), y).backward();
      clip(ps);
      for (const opt of opts) opt.step();
      for (const opt of opts) opt.zeroGrad();
    });
  }
  const launches = opts.map((opt) => counts.get(KERNEL(opt)));
  return { params: await readAll(ps), launches, opt: opts[0], m };
}

describe('flat parameter groups', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    test(`${name}: one launch per step, the same values as one launch per parameter`, async () => {
      for (const b of await bothBackends()) {
        const flat = await train(b, [make], false);
        const each = await train(b, [make], true);
        expect(flat.launches).toEqual([3]);
        expect(each.launches[0]).toBe(3 * 6);
        flat.params.forEach((v, i) => {
          assertClose(v, each.params[i], 0, 0, `${name} on ${b.name}, parameter ${i}`);
        });
      }
    });
  }

  test('clipping changes gradients in place: they stay in the flat buffer and the step stays one launch', async () => {
    const clips: Record<string, (ps: Parameter[]) => void> = {
      norm: (ps) => clipGradNorm_(ps, 0.05).dispose(),
      value: (ps) => clipGradValue_(ps, 0.01),
    };
    for (const b of await bothBackends()) {
      for (const [name, clip] of Object.entries(clips)) {
        const flat = await train(b, [OPTIMIZERS.adam], false, clip);
        const each = await train(b, [OPTIMIZERS.adam], true, clip);
        // One launch per step: the clipped gradients are still in the flat buffer.
        expect(flat.launches).toEqual([3]);
        flat.params.forEach((v, i) => {
          // The flat norm sums the same squares in another order.
          assertClose(v, each.params[i], 1e-5, 1e-6, `clip ${name} on ${b.name}, parameter ${i}`);
        });
      }
    }
  });

  test('a flat step after a parameter-by-parameter one updates every parameter', async () => {
    // In step 1, v has no gradient, so w alone gets a launch, over its slices; a state dict then
    // evens the step counts (SGD without momentum keeps no tensors), and step 2 is flat. w's launch
    // and the flat one start at the same offsets of the same buffers, so the backend must not
    // mistake one's bindings for the other's.
    const results = [];
    for (const b of await bothBackends()) {
      setDefaultBackend(b);
      const x = randn(b, [3, 4], 8);
      const w = new Parameter(randn(b, [5, 4], 9));
      const v = new Parameter(randn(b, [5], 10));
      const opt = new SGD([w, v], { lr: 0.1 });
      const counts = countLaunches(b);
      for (const flat of [false, true]) {
        tidy(() => F.sum(F.linear(x, w, flat ? v : undefined)).backward());
        opt.step();
        opt.zeroGrad();
        if (!flat)
          opt.loadStateDict({ ...(await opt.stateDict()), state: { 0: { step: 1 }, 1: { step: 1 } } });
        b.flush();
      }
      expect(counts.get('sgd')).toBe(2);
      results.push(await readAll([w, v]));
    }
    assertClose(results[1][0], results[0][0], 1e-5, 1e-6, 'w');
    assertClose(results[1][1], results[0][1], 1e-5, 1e-6, 'v');
  });

  test('the flat step on webgpu and wasm matches the cpu backend', async () => {
    const [cpu, ...others] = await bothBackends();
    const a = await train(cpu, [OPTIMIZERS.adam], false);
    for (const other of others) {
      const b = await train(other, [OPTIMIZERS.adam], false);
      a.params.forEach((v, i) => {
        assertClose(b.params[i], v, 1e-4, 1e-5, `parameter ${i} on ${other.name}`);
      });
    }
  });

  test('the state reads back per parameter and loads back into a fresh optimizer', async () => {
    for (const b of await bothBackends()) {
      const { opt, m } = await train(b, [OPTIMIZERS.adam], false);
      const sd = await opt.stateDict();
      const shapes = m.parameters().map((p) => [...p.shape]);
      expect(Object.keys(sd.state)).toHaveLength(6);
      for (const [i, s] of Object.entries(sd.state)) {
        expect(s.step).toBe(3);
        expect((s.exp_avg as { shape: number[] }).shape).toEqual(shapes[Number(i)]);
      }
      const other = OPTIMIZERS.adam(model(b).parameters());
      other.loadStateDict(sd);
      expect(await other.stateDict()).toEqual(sd);
    }
  });

  test('a parameter used twice, and gradients summed over two backward() calls, sum right in the flat buffer', async () => {
    for (const b of await bothBackends()) {
      setDefaultBackend(b);
      const [x, x2] = [randn(b, [3, 4], 2), randn(b, [3, 4], 6)];
      const grads = [];
      for (const flat of [true, false]) {
        const w = new Parameter(randn(b, [5, 4], 3));
        const v = new Parameter(randn(b, [5], 4));
        if (flat) new SGD([w, v], { lr: 0.1 }).zeroGrad();
        const inBuffer = () => w.grad?.storage.parent !== undefined;
        expect(inBuffer()).toBe(flat);
        tidy(() => {
          // w feeds two linear layers; then a second backward() adds to both gradients.
          const twice = F.add(F.linear(x, w, v), F.linear(x2, w));
          F.sum(F.mul(twice, twice)).backward();
          F.sum(F.linear(x, w, v)).backward();
        });
        expect(inBuffer()).toBe(flat);
        grads.push(await readAll([w.grad!, v.grad!]));
      }
      assertClose(grads[0][0], grads[1][0], 1e-6, 1e-6, `weight gradient on ${b.name}`);
      assertClose(grads[0][1], grads[1][1], 1e-6, 1e-6, `bias gradient on ${b.name}`);
    }
  });

  test('two optimizers over the same parameters both step right, one launch each per step', async () => {
    const pair = [OPTIMIZERS.sgd, OPTIMIZERS.adam];
    for (const b of await bothBackends()) {
      const both = await train(b, pair, false);
      const each = await train(b, pair, true);
      // Each takes the parameters over as it steps: still one launch per step.
      expect(both.launches).toEqual([3, 3]);
      both.params.forEach((v, i) => {
        assertClose(v, each.params[i], 0, 0, `two optimizers on ${b.name}, parameter ${i}`);
      });
    }
  });

  test('dispose() gives back every byte the optimizer took; the parameters keep their values', async () => {
    for (const b of await bothBackends()) {
      for (const make of Object.values(OPTIMIZERS)) {
        const m = model(b);
        const x = randn(b, [4, 2, 5, 7], 1);
        const y = ops.tensor(b, new Int32Array([0, 5, 2, 2]));
        const loss = () => tidy(() => F.crossEntropy(m.forward(x), y).backward());
        // The gradients exist before the optimizer does.
        loss();
        const before = b.memory().bytesInUse;
        const opt = make(m.parameters());
        for (let step = 0; step < 2; step++) {
          opt.zeroGrad();
          loss();
          opt.step();
        }
        // Read without disposing (readAll disposes).
        const read = () => Promise.all(m.parameters().flatMap((p) => [p.data(), p.grad!.data()]));
        const values = await read();
        opt.dispose();
        expect(b.memory().bytesInUse).toBe(before);
        (await read()).forEach((v, i) => {
          assertClose(v, values[i], 0, 0, `${b.name}, tensor ${i}`);
        });
      }
    }
  });
});
