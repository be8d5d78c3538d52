/**
 * Optimizers against PyTorch: one and several steps of SGD (momentum, dampening, nesterov, weight
 * decay), Adam, AdamW and RMSprop (with momentum) from the same start and gradients as
 * scripts/torch/optim_reference.py, whose printed values (torch 1.13) are pasted below. Also
 * gradient clipping and the optimizer state-dict round trip, on both backends.
 */
import { describe, expect, test } from 'vitest';
import { Parameter } from '../nn/module';
import type { Backend } from '../tensor/backend';
import * as ops from '../tensor/ops';
import { assertClose, bothBackends } from '../tensor/testing';
import { WebGPUBackend } from '../tensor/webgpu';
import { Adam, AdamW } from './adam';
import { clipGradNorm_, clipGradValue_ } from './clip_grad';
import type { Optimizer } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

const P0 = [0.5, -1.2, 0.3, 2.0, -0.7, 0.05];
const GRADS = [
  [0.1, -0.2, 0.3, -0.4, 0.5, -0.6],
  [-0.3, 0.25, 0.0, 0.9, -0.05, 0.4],
  [0.7, 0.1, -0.8, 0.2, 0.3, -0.1],
  [0.05, -0.6, 0.4, -0.2, 0.0, 0.35],
  [-0.2, 0.3, 0.1, 0.6, -0.9, 0.2],
];

/** The optimizers of the reference script, by its names, with Kiln's option names. */
const CONFIGS: Record<string, (params: Parameter[]) => Optimizer> = {
  sgd: (ps) => new SGD(ps, { lr: 0.1 }),
  sgd_momentum: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
  sgd_nesterov: (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.05 }),
  adam: (ps) => new Adam(ps, { lr: 0.01 }),
  adam_wd: (ps) => new Adam(ps, { lr: 0.02, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 }),
  adamw: (ps) => new AdamW(ps, { lr: 0.01 }),
  adamw_wd: (ps) => new AdamW(ps, { lr: 0.02, betas: [0.85, 0.99], weightDecay: 0.3 }),
  rmsprop: (ps) => new RMSprop(ps, { lr: 0.01 }),
  rmsprop_momentum: (ps) =>
    new RMSprop(ps, { lr: 0.01, alpha: 0.9, eps: 1e-6, momentum: 0.5, weightDecay: 0.1 }),
};

const REFERENCE = {
  steps: {
    sgd: [
      [0.49, -1.1800001, 0.27, 2.04, -0.75, 0.11000001],
      [0.52000004, -1.205, 0.27, 1.9499999, -0.745, 0.07000001],
      [0.45000005, -1.215, 0.35000002, 1.93, -0.77500004, 0.080000006],
      [0.44500005, -1.155, 0.31000003, 1.9499999, -0.77500004, 0.045000006],
      [0.46500006, -1.185, 0.30000004, 1.8899999, -0.68500006, 0.025000004],
    ],
    sgd_momentum: [
      [0.4895, -1.1788001, 0.26970002, 2.038, -0.7493, 0.10995],
      [0.50660944, -1.1811591, 0.24218729, 1.9893659, -0.78849566, 0.12780605],
      [0.458552, -1.1912192, 0.28920788, 1.9258047, -0.8500621, 0.15276147],
      [0.4103876, -1.1452012, 0.2952661, 1.8848665, -0.9047068, 0.14358386],
      [0.38467032, -1.1297543, 0.29145277, 1.7923256, -0.8720728, 0.117194794],
    ],
    sgd_nesterov: [
      [0.48875, -1.1766001, 0.27165002, 2.027, -0.74185, 0.103775],
      [0.50955063, -1.1854854, 0.26034757, 1.9464785, -0.7488917, 0.08642802],
      [0.44987565, -1.1886121, 0.32267737, 1.8953562, -0.78163874, 0.09736905],
      [0.42463034, -1.1301358, 0.30360985, 1.8758222, -0.79381675, 0.07035658],
      [0.423423, -1.1316463, 0.29463494, 1.7935444, -0.7205503, 0.044624727],
    ],
    adam: [
      [0.49, -1.19, 0.29000002, 2.01, -0.71, 0.060000002],
      [0.49494192, -1.1916274, 0.28329945, 2.0059197, -0.71592647, 0.061445206],
      [0.49069172, -1.1947339, 0.2874645, 2.0015566, -0.723136, 0.06342995],
      [0.48683986, -1.1909006, 0.28808883, 1.999187, -0.72904164, 0.062374145],
      [0.4850622, -1.1901147, 0.28803802, 1.9946998, -0.727184, 0.060195018],
    ],
    adam_wd: [
      [0.48000014, -1.1800001, 0.28000006, 2.02, -0.7199999, 0.06999996],
      [0.48703, -1.1743193, 0.26596737, 2.0069396, -0.72789097, 0.07151103],
      [0.47591168, -1.1694349, 0.27491722, 1.9931883, -0.7395099, 0.074452505],
      [0.4657569, -1.1559831, 0.27497897, 1.9825567, -0.7463623, 0.070388556],
      [0.46031448, -1.1485345, 0.27324483, 1.968284, -0.7372793, 0.06389522],
    ],
    adamw: [
      [0.48995, -1.18988, 0.28997, 2.0098, -0.70992994, 0.059995003],
      [0.49484292, -1.1913884, 0.28324044, 2.0055187, -0.71578544, 0.061434206],
      [0.49054322, -1.1943756, 0.28737715, 2.000955, -0.7229234, 0.06341281],
      [0.4866423, -1.1904229, 0.28797275, 1.9983854, -0.7287567, 0.06235066],
      [0.48481598, -1.189518, 0.28789315, 1.9936984, -0.7268262, 0.060165297],
    ],
    adamw_wd: [
      [0.477, -1.1728001, 0.2782, 2.0080001, -0.7158, 0.0697],
      [0.48451185, -1.1695815, 0.26350254, 1.9872736, -0.72294307, 0.07161625],
      [0.4725737, -1.169318, 0.27107924, 1.9662868, -0.7328759, 0.07477762],
      [0.4617657, -1.1539931, 0.27072394, 1.9498878, -0.7398144, 0.07143639],
      [0.45571595, -1.1456494, 0.26886314, 1.9288495, -0.7303125, 0.0657989],
    ],
    rmsprop: [
      [0.4000001, -1.1000001, 0.20000005, 2.1, -0.79999995, 0.14999998],
      [0.49491587, -1.1782398, 0.20000005, 2.0085433, -0.78999996, 0.09433694],
      [0.40369865, -1.2082442, 0.29374802, 1.9885304, -0.84163976, 0.108187996],
      [0.39716431, -1.1207223, 0.2511303, 2.008249, -0.84163976, 0.064387456],
      [0.42257136, -1.1609819, 0.24048308, 1.9571447, -0.757376, 0.039992467],
    ],
    rmsprop_momentum: [
      [0.4683779, -1.1683776, 0.26837754, 2.0316222, -0.7316225, 0.08162261],
      [0.48013288, -1.165269, 0.24986535, 2.0162683, -0.7382939, 0.07890449],
      [0.45633656, -1.1620551, 0.27012402, 1.9974047, -0.75706947, 0.08191093],
      [0.44047096, -1.131263, 0.26518345, 1.9879805, -0.76108855, 0.06784016],
      [0.43920466, -1.1236472, 0.2580579, 1.9637922, -0.7340832, 0.05172649],
    ],
  },
  clip: {
    norm: 4.861584,
    a: [0.102847114, -0.30854136, 0.41138846, 0.051423557, -0.15427068, 0.20569423],
    b: [0.6170827, -0.102847114, 0.020569423, -0.51423556],
    infA: [0.33333322, -0.99999964, 1.3333329, 0.16666661, -0.49999982, 0.66666645],
    infB: [1.9999993, -0.33333322, 0.06666665, -1.6666662],
    infNorm: 3.0,
  },
};

const RTOL = 1e-6;
const ATOL = 1e-7;

function param(b: Backend, values: number[], shape: number[]): Parameter {
  return new Parameter(ops.tensor(b, values, shape));
}

/** Gives p the t-th reference gradient and steps. */
function step(opt: Optimizer, p: Parameter, t: number): void {
  p.grad = ops.tensor(p.backend, GRADS[t], [2, 3]).keep();
  opt.step();
  opt.zeroGrad();
}

describe('optimizers match torch.optim', () => {
  for (const [name, make] of Object.entries(CONFIGS)) {
    test(`${name}: the parameter after each of 5 steps`, async () => {
      for (const b of await bothBackends()) {
        const p = param(b, P0, [2, 3]);
        const opt = make([p]);
        for (let t = 0; t < GRADS.length; t++) {
          step(opt, p, t);
          assertClose(
            await p.data(),
            REFERENCE.steps[name as keyof typeof REFERENCE.steps][t],
            RTOL,
            ATOL,
            `${name} on ${b.name}, step ${t + 1}`,
          );
        }
      }
    });
  }

  test('a parameter without a gradient is left alone and gets no state', async () => {
    for (const b of await bothBackends()) {
      const [p, q] = [param(b, P0, [2, 3]), param(b, [1, 2], [2])];
      const opt = new Adam([p, q], { lr: 0.1 });
      step(opt, p, 0);
      expect(Array.from(await q.data())).toEqual([1, 2]);
      const sd = await opt.stateDict();
      expect(Object.keys(sd.state)).toEqual(['0']);
      expect(sd.state[0].step).toBe(1);
    }
  });

  test('many steps recorded in one submission each use their own lr and bias corrections', async () => {
    // 300 steps of scalars overflow the webgpu backend's uniform arena once, so this also covers
    // the early submission; the cpu backend is the reference.
    const results: Float32Array[] = [];
    for (const b of await bothBackends()) {
      const p = param(b, P0, [2, 3]);
      const grads = GRADS.map((g) => ops.tensor(b, g, [2, 3]).keep());
      const one = ops.full(b, [2, 3], 1).keep();
      const opt = new AdamW([p], { lr: 0.01, weightDecay: 0.1 });
      b.flush();
      const before = b instanceof WebGPUBackend ? b.submissions : 0;
      for (let t = 0; t < 300; t++) {
        opt.paramGroups[0].lr = 0.01 * (1 + (t % 3));
        p.grad = ops.binary('mul', grads[t % GRADS.length], one);
        opt.step();
        opt.zeroGrad();
      }
      // One early submission: 256 slots of 256 bytes fill at step 257.
      if (b instanceof WebGPUBackend) expect(b.submissions - before).toBe(1);
      results.push((await p.data()) as Float32Array);
    }
    assertClose(results[1], results[0], 1e-5, 1e-6, 'webgpu vs cpu after 300 steps');
  });

  test('option checks follow torch', async () => {
    const [cpu] = await bothBackends();
    const ps = [param(cpu, P0, [2, 3])];
    expect(() => new SGD(ps, { lr: -1 })).toThrow(/learning rate/);
    expect(() => new SGD(ps, { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new SGD(ps, { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/Nesterov/);
  });

  test('defaults follow torch: AdamW weight decay 0.01, Adam 0, SGD momentum 0, RMSprop alpha 0.99', async () => {
    const [cpu] = await bothBackends();
    const p = param(cpu, P0, [2, 3]);
    expect(new AdamW([p]).paramGroups[0]).toMatchObject({
      lr: 1e-3,
      weightDecay: 0.01,
      betas: [0.9, 0.999],
      eps: 1e-8,
    });
    expect(new Adam([p]).paramGroups[0]).toMatchObject({ lr: 1e-3, weightDecay: 0 });
    expect(new SGD([p]).paramGroups[0]).toMatchObject({
      momentum: 0,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
    });
    expect(new RMSprop([p]).paramGroups[0]).toMatchObject({ lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0 });
  });
});

describe('optimizer state dict', () => {
  for (const name of ['sgd_momentum', 'sgd_nesterov', 'adam_wd', 'adamw_wd', 'rmsprop_momentum']) {
    test(`${name}: saving after 2 steps and loading into a fresh optimizer continues identically`, async () => {
      for (const b of await bothBackends()) {
        const p = param(b, P0, [2, 3]);
        const opt = CONFIGS[name]([p]);
        step(opt, p, 0);
        step(opt, p, 1);
        const sd = structuredClone(await opt.stateDict());
        expect(sd.param_groups[0].params).toEqual([0]);
        expect(sd.state[0].step).toBe(2);
        const q = param(b, Array.from(await p.data()), [2, 3]);
        const restored = CONFIGS[name]([q]);
        restored.loadStateDict(sd);
        for (let t = 2; t < GRADS.length; t++) {
          step(opt, p, t);
          step(restored, q, t);
          const ref = REFERENCE.steps[name as keyof typeof REFERENCE.steps][t];
          assertClose(await q.data(), ref, RTOL, ATOL, `${name} restored on ${b.name}, step ${t + 1}`);
          expect(Array.from(await q.data())).toEqual(Array.from(await p.data()));
        }
      }
    });
  }

  test('state tensors use torch.optim names and hyperparameters are restored', async () => {
    const [cpu] = await bothBackends();
    const p = param(cpu, P0, [2, 3]);
    const adam = new Adam([p], { lr: 0.02 });
    step(adam, p, 0);
    const sd = await adam.stateDict();
    expect(Object.keys(sd.state[0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
    expect(sd.param_groups[0]).toMatchObject({ lr: 0.02, params: [0] });
    const other = new Adam([param(cpu, P0, [2, 3])], { lr: 0.5 });
    other.loadStateDict(sd);
    expect(other.paramGroups[0].lr).toBe(0.02);
    const sgd = new SGD([p], { lr: 0.1, momentum: 0.9 });
    step(sgd, p, 0);
    expect(Object.keys((await sgd.stateDict()).state[0]).sort()).toEqual(['momentum_buffer', 'step']);
    const rms = new RMSprop([p], { momentum: 0.5 });
    step(rms, p, 0);
    expect(Object.keys((await rms.stateDict()).state[0]).sort()).toEqual([
      'momentum_buffer',
      'square_avg',
      'step',
    ]);
  });

  test('a state dict for other parameters is refused and changes nothing', async () => {
    const [cpu] = await bothBackends();
    const p = param(cpu, P0, [2, 3]);
    const adam = new Adam([p]);
    step(adam, p, 0);
    const before = await adam.stateDict();
    const short = { shape: [2], data: new Float32Array(2) };
    expect(() =>
      adam.loadStateDict({ ...before, state: { 0: { ...before.state[0], exp_avg: short } } }),
    ).toThrow(/has 2 values/);
    expect(() => adam.loadStateDict({ ...before, state: { 3: before.state[0] } })).toThrow(/does not exist/);
    expect(() => adam.loadStateDict({ state: {}, param_groups: [{ params: [0, 1] }] })).toThrow(
      /doesn't match the size/,
    );
    expect(() =>
      adam.loadStateDict({ ...before, param_groups: [...before.param_groups, { params: [] }] }),
    ).toThrow(/groups/);
    expect(await adam.stateDict()).toEqual(before);
  });
});

describe('gradient clipping', () => {
  const ga = [0.5, -1.5, 2.0, 0.25, -0.75, 1.0];
  const gb = [3.0, -0.5, 0.1, -2.5];
  function withGrads(b: Backend): Parameter[] {
    const a = param(b, new Array(6).fill(0), [2, 3]);
    const c = param(b, new Array(4).fill(0), [4]);
    a.grad = ops.tensor(b, ga, [2, 3]).keep();
    c.grad = ops.tensor(b, gb, [4]).keep();
    return [a, c];
  }

  test('clipGradNorm_ returns the total 2-norm and scales every gradient like torch', async () => {
    for (const b of await bothBackends()) {
      const [a, c] = withGrads(b);
      const total = clipGradNorm_([a, c], 1.0);
      assertClose([await total.item()], [REFERENCE.clip.norm], RTOL, ATOL, `${b.name} norm`);
      assertClose(await a.grad!.data(), REFERENCE.clip.a, 1e-6, 1e-7, `${b.name} a`);
      assertClose(await c.grad!.data(), REFERENCE.clip.b, 1e-6, 1e-7, `${b.name} b`);
    }
  });

  test('clipGradNorm_ with the inf-norm, and no change under the limit', async () => {
    for (const b of await bothBackends()) {
      const [a, c] = withGrads(b);
      assertClose(
        [await clipGradNorm_([a, c], 2.0, Number.POSITIVE_INFINITY).item()],
        [REFERENCE.clip.infNorm],
        0,
        0,
      );
      assertClose(await a.grad!.data(), REFERENCE.clip.infA, 1e-6, 1e-7, `${b.name} inf a`);
      assertClose(await c.grad!.data(), REFERENCE.clip.infB, 1e-6, 1e-7, `${b.name} inf b`);
      const [x, y] = withGrads(b);
      expect(await clipGradNorm_([x, y], 100).item()).toBeCloseTo(REFERENCE.clip.norm, 5);
      expect(Array.from(await x.grad!.data())).toEqual(ga.map(Math.fround));
      expect(Array.from(await y.grad!.data())).toEqual(gb.map(Math.fround));
    }
  });

  test('clipGradNorm_ skips parameters without gradients and refuses when none has one', async () => {
    const [cpu] = await bothBackends();
    const [a, c] = withGrads(cpu);
    const none = param(cpu, [1], [1]);
    expect(await clipGradNorm_([a, none, c], 1).item()).toBeCloseTo(REFERENCE.clip.norm, 5);
    expect(none.grad).toBeNull();
    expect(() => clipGradNorm_([none], 1)).toThrow(/no parameter has a gradient/);
    expect(() => clipGradNorm_([a], 1, 1)).toThrow(/normType/);
  });

  test('clipGradValue_ clamps every element', async () => {
    for (const b of await bothBackends()) {
      const [a, c] = withGrads(b);
      clipGradValue_([a, c], 0.6);
      expect(Array.from(await a.grad!.data())).toEqual([0.5, -0.6, 0.6, 0.25, -0.6, 0.6].map(Math.fround));
      expect(Array.from(await c.grad!.data())).toEqual([0.6, -0.5, 0.1, -0.6].map(Math.fround));
    }
  });
});
