/**
 * Issue 24's property for the exported train.py: every spec and config Kiln accepts exports a
 * script that compiles, whose model loads Kiln's state dict with strict=True and gives Kiln's
 * outputs, and whose optimizer, scheduler, loss and clipping are the config's, field by field.
 * Specs are random trees of registry layers and blocks with random field values and names,
 * hostile model names among them; layer names that would break the script must be refused by
 * specError in one line. The scripts are checked in one Python start (scripts/torch/export_check.py),
 * on Debian's torch: the test fails (never skips) without it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { noGrad } from '../autograd';
import { buildModel } from '../nn';
import { type FieldDef, LAYERS, layerDef } from '../nn/layers';
import type { HostTensor } from '../nn/module';
import {
  type BlockSpec,
  countParameters,
  isBlock,
  type LayerSpec,
  type LeafSpec,
  layerName,
  type ModelSpec,
  nameError,
  outputShape,
  specError,
  TEXT_PRESETS,
} from '../nn/spec';
import { WarmupCosineLR } from '../optim/lr_scheduler';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { randnValues } from '../tensor/testing';
import { checkConfig, DEFAULT_CONFIG, OPTIMIZERS, type SchedulerConfig, type TrainConfig } from './config';
import { exportPytorch } from './export_pytorch';
import { TRAIN_PY_RUNTIME } from './export_pytorch_runtime';
import { createOptimizer } from './factories';
import { stateDictToSafetensors } from './state_dict';

const PYTHON = '/usr/bin/python3';
const CHECK = join(import.meta.dirname, '../../scripts/torch/export_check.py');
/** Specs and configs exported and checked in Python; the seed keeps every run the same cases. */
const CASES = 48;
const SEED = 24;
const backend = new CpuBackend();

// ---- Generators ----

/** Names a model may have: hostile to a script built by splicing, and to the script's own names. */
const HOSTILE_MODEL_NAMES = [
  '',
  '"""',
  "'''",
  '"',
  "'",
  '\\',
  'a\\',
  '\\N{BULLET}',
  '\\x00',
  '\0',
  'a\nb',
  'a\r\nb',
  '\r',
  '\u2028\u2029\u0085',
  '\ud800',
  '😀 model',
  'modèle',
  '# comment',
  '{x}',
  '%s',
  '\u0024{x}',
  'None',
  'True',
  'False',
  'class',
  'CONFIG',
  'DECIMAL',
  'MODEL_NAME',
  'Residual',
  'CausalSelfAttention',
  'PositionalEmbedding',
  'OrderedDict',
  'DataLoader',
  'TensorDataset',
  'Subset',
  'Exception',
  'SystemExit',
  '123',
  '1 layer',
];

/** Layer names that must be refused: not identifiers, keywords, nn.Module and nn.Sequential attributes. */
const HOSTILE_LAYER_NAMES = [
  '',
  ' ',
  'a b',
  'a.b',
  'a-b',
  'a\nb',
  'a\0',
  '\n',
  '"',
  "'",
  '"""',
  '\\',
  'é',
  'naïve',
  '名前',
  '1a',
  '-1',
  '0x1',
  '1.5',
  '_',
  '_private',
  '__init__',
  '__class__',
  'x'.repeat(65),
  '\u2028',
  'a\u2028b',
  'class',
  'def',
  'None',
  'True',
  'lambda',
  'match',
  'case',
  'type',
  'forward',
  'training',
  'state_dict',
  'parameters',
  'cuda',
  'to',
  'T_destination',
  'append',
  'extend',
  'insert',
  'pop',
];

/** Names the generator gives layers: random identifiers and indices, and some near misses. */
const layerNameArb = fc.option(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,9}$/),
    fc.constantFrom('0', '1', '2', '10', '007'),
    fc.constantFrom(
      'x',
      'self',
      'nn',
      'torch',
      'super',
      'print',
      'math',
      'weight',
      'bias',
      'layers',
      'Residual',
      'OrderedDict',
      'CONFIG',
      'make_model',
      'c_attn',
      'num_heads',
      'h',
      'T',
      ...HOSTILE_LAYER_NAMES,
    ),
  ),
  { nil: undefined, freq: 3 },
);

/** A valid value of one field, or undefined (PyTorch's default) where it has one. */
function fieldArb(f: FieldDef): fc.Arbitrary<number | boolean | undefined> {
  const value: fc.Arbitrary<number | boolean> =
    f.kind === 'bool'
      ? fc.boolean()
      : f.kind === 'int'
        ? fc.integer({ min: f.min ?? -3, max: (f.min ?? -3) + 4 })
        : fc.double({
            noNaN: true,
            // An eps so small it vanishes in float32 gives NaN for a constant input: 1e-5 and up.
            min: f.min === 0 && f.minExclusive ? 1e-5 : (f.min ?? -3),
            max: f.max ?? (f.min ?? -3) + 3,
            minExcluded: f.minExclusive,
            maxExcluded: f.maxExclusive,
          });
  const optional = f.default !== undefined || f.none !== undefined;
  return optional ? fc.option(value, { nil: undefined }) : value;
}

interface LeafPlan {
  type: string;
  name?: string;
  fields: Record<string, number | boolean | undefined>;
}
interface BlockPlan {
  type: BlockSpec['type'];
  name?: string;
  times: number;
  layers: Plan[];
}
type Plan = LeafPlan | BlockPlan;

const leafArb: fc.Arbitrary<LeafPlan> = fc.constantFrom(...LAYERS).chain((def) =>
  fc.record({
    type: fc.constant(def.type),
    name: layerNameArb,
    fields: fc.record(Object.fromEntries(def.fields.map((f) => [f.key, fieldArb(f)]))),
  }),
);

const { plans } = fc.letrec<{ plans: Plan[]; node: Plan; block: BlockPlan }>((tie) => ({
  plans: fc.array(tie('node'), { minLength: 1, maxLength: 6 }),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, leafArb, tie('block')),
  block: fc.record({
    type: fc.constantFrom('Residual', 'Repeat', 'Sequential'),
    name: layerNameArb,
    times: fc.integer({ min: 1, max: 3 }),
    layers: tie('plans') as fc.Arbitrary<Plan[]>,
  }),
}));

/** One sample's input: an image, features, a sequence of vectors, or token ids. */
const inputArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 3, max: 7 }), fc.integer({ min: 3, max: 7 })),
  fc.tuple(fc.integer({ min: 1, max: 8 })),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 })),
  fc.tuple(fc.constant('tokens' as const), fc.integer({ min: 1, max: 5 })),
);

interface Flow {
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** What a node gives for an input, through the spec's own inference (as a one-node model), or null when it cannot take it. */
function flowThrough(node: LayerSpec, at: Flow): Flow | null {
  const spec: ModelSpec = {
    name: 'probe',
    inputShape: at.shape,
    ...(at.dtype === 'int32' ? { inputDtype: 'int32' as const } : {}),
    layers: [node],
  };
  const out = outputShape(spec);
  return out ? { shape: out, dtype: 'float32' } : null;
}

/**
 * A plan made into a valid spec as far as it goes: fields that follow from the input fitted when
 * the random ones do not fit, names the spec refuses or repeats dropped, layers that cannot take
 * their input left out, a block whose output cannot be added or repeated made a Sequential.
 */
function realise(list: readonly Plan[], at: Flow): { layers: LayerSpec[]; out: Flow } {
  const layers: LayerSpec[] = [];
  for (const plan of list) {
    let node: LayerSpec;
    let next: Flow | null;
    if ('fields' in plan) {
      if ((plan.type === 'Embedding') !== (at.dtype === 'int32')) continue;
      const def = layerDef(plan.type)!;
      const fields = Object.fromEntries(Object.entries(plan.fields).filter(([, v]) => v !== undefined));
      const tries: Record<string, number | boolean | undefined>[] = [
        fields,
        { ...fields, ...def.fit?.(at.shape) },
        { ...fields, ...def.fit?.(at.shape), numHeads: 1, padding: 0, stride: 1, kernelSize: 1 },
      ];
      node = { type: plan.type };
      next = null;
      for (const t of tries) {
        const leaf: LeafSpec = { type: plan.type, ...t };
        next = flowThrough(leaf, at);
        if (next) {
          node = leaf;
          break;
        }
      }
      if (!next) continue;
    } else {
      const inner = realise(plan.layers, at);
      if (inner.layers.length === 0) continue;
      const same = inner.out.shape.join() === at.shape.join() && inner.out.dtype === at.dtype;
      const type = plan.type === 'Residual' && !same ? 'Sequential' : plan.type;
      const times = type === 'Repeat' ? (same ? plan.times : 1) : undefined;
      node = { type, ...(times !== undefined ? { times } : {}), layers: inner.layers };
      next = inner.out;
    }
    const name = plan.name;
    if (name !== undefined && nameError(name) === null) node.name = name;
    const taken = (n: string) => layers.some((l, i) => layerName(l, i) === n);
    if (taken(layerName(node, layers.length))) delete node.name;
    if (taken(layerName(node, layers.length))) continue;
    layers.push(node);
    at = next;
  }
  return { layers, out: at };
}

const modelArb = fc
  .record({
    name: fc.oneof(fc.constantFrom(...HOSTILE_MODEL_NAMES), fc.string({ unit: 'binary', maxLength: 12 })),
    input: inputArb,
    embed: leafArb.filter((l) => l.type === 'Embedding'),
    plans,
  })
  .map(({ name, input, embed, plans }): ModelSpec => {
    const tokens = input[0] === 'tokens';
    const inputShape = tokens ? [input[1] as number] : (input as number[]);
    const at: Flow = { shape: inputShape, dtype: tokens ? 'int32' : 'float32' };
    const { layers, out } = realise(tokens ? [embed, ...plans] : plans, at);
    const spec: ModelSpec = { name, inputShape, ...(tokens ? { inputDtype: 'int32' as const } : {}), layers };
    // torch.optim refuses an empty parameter list: a model learns through at least one layer.
    if (countParameters(spec) === 0) {
      const width = out.shape.at(-1) ?? 1;
      layers.push({ type: 'Linear', name: 'kiln_fit', inFeatures: width, outFeatures: width });
    }
    return spec;
  });

const unit = (min: number, max: number, excluded = false) =>
  fc.double({ noNaN: true, min, max, minExcluded: excluded, maxExcluded: excluded });

const schedulerArb: fc.Arbitrary<SchedulerConfig> = fc.oneof(
  fc.constant({ name: 'none' as const }),
  fc.record({
    name: fc.constant('step' as const),
    stepSize: fc.integer({ min: 1, max: 5 }),
    gamma: unit(0.01, 2),
  }),
  fc.record({
    name: fc.constant('multistep' as const),
    milestones: fc
      .uniqueArray(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 4 })
      .map((m) => m.sort((a, b) => a - b)),
    gamma: unit(0.01, 2),
  }),
  fc.record({ name: fc.constant('exponential' as const), gamma: unit(0.01, 2) }),
  fc.record({
    name: fc.constant('cosine' as const),
    tMax: fc.integer({ min: 1, max: 20 }),
    etaMin: unit(0, 1e-3),
  }),
  fc.record({
    name: fc.constant('plateau' as const),
    mode: fc.constantFrom('min' as const, 'max' as const),
    factor: unit(0, 1, true),
    patience: fc.integer({ min: 0, max: 10 }),
    threshold: unit(0, 0.1),
    cooldown: fc.integer({ min: 0, max: 5 }),
    minLr: unit(0, 1e-4),
  }),
  fc.record({
    name: fc.constant('linear' as const),
    startFactor: unit(0.01, 1),
    endFactor: unit(0, 1),
    totalIters: fc.integer({ min: 1, max: 10 }),
  }),
  fc.record({ name: fc.constant('onecycle' as const), maxLr: unit(1e-4, 1), pctStart: unit(0, 1, true) }),
  fc.record({
    name: fc.constant('warmup_cosine' as const),
    warmupSteps: fc.integer({ min: 0, max: 20 }),
    decaySteps: fc.integer({ min: 1, max: 60 }),
    minLr: unit(0, 1e-4),
  }),
);

const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

const configArb: fc.Arbitrary<TrainConfig> = fc
  .record({
    epochs: fc.integer({ min: 1, max: 5 }),
    batchSize: fc.integer({ min: 1, max: 256 }),
    lr: unit(1e-6, 1),
    optimizer: fc.constantFrom(...OPTIMIZERS),
    momentum: unit(0, 0.99),
    nesterov: fc.boolean(),
    weightDecay: fc.oneof(fc.constant(0), unit(0, 0.1)),
    decayMatricesOnly: fc.boolean(),
    betas: fc.tuple(unit(0, 0.99), unit(0, 0.9999)),
    seed: fc.nat(),
    shuffle: fc.boolean(),
    scheduler: schedulerArb,
    clipNorm: optional(unit(1e-3, 10)),
    clipValue: optional(unit(1e-3, 10)),
    labelSmoothing: unit(0, 1),
    limit: optional(fc.integer({ min: 1, max: 60000 })),
    valSplit: fc.integer({ min: 0, max: 1000 }),
    logEvery: fc.integer({ min: 1, max: 100 }),
    mean: unit(-1, 1),
    std: unit(0.01, 2),
  })
  .map((c): TrainConfig => {
    const momentum = c.optimizer === 'sgd' || c.optimizer === 'rmsprop' ? c.momentum : 0;
    return {
      ...DEFAULT_CONFIG,
      ...c,
      momentum,
      nesterov: c.optimizer === 'sgd' && momentum > 0 && c.nesterov,
    };
  });

// ---- Where each config field goes ----

/**
 * How each config field reaches the script: an argument of the optimizer, the scheduler, the loss
 * or the clipping, or the CONFIG dict the script's loop reads. A new field is a type error here
 * until it has its row, so none can be dropped from the export unseen.
 */
const REACHES: Record<keyof TrainConfig, 'optimizer' | 'scheduler' | 'loss' | 'clip' | 'loop' | 'Kiln only'> =
  {
    epochs: 'loop',
    batchSize: 'loop',
    lr: 'optimizer',
    optimizer: 'optimizer',
    momentum: 'optimizer',
    nesterov: 'optimizer',
    weightDecay: 'optimizer',
    betas: 'optimizer',
    seed: 'loop',
    shuffle: 'loop',
    scheduler: 'scheduler',
    clipNorm: 'clip',
    clipValue: 'clip',
    labelSmoothing: 'loss',
    limit: 'loop',
    valSplit: 'loop',
    // How often Kiln reads the loss back from the GPU: the script has no such cost.
    logEvery: 'Kiln only',
    mean: 'loop',
    std: 'loop',
    // A text run's: its loop's length, evaluation interval and windows; nanoGPT's param groups.
    steps: 'loop',
    evalEvery: 'loop',
    blockSize: 'loop',
    decayMatricesOnly: 'optimizer',
  };

/** PyTorch's spelling of a Kiln (camelCase) argument name. */
const snake = (k: string) => (k === 'tMax' ? 'T_max' : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

const TORCH_OPTIMIZER = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', rmsprop: 'RMSprop' } as const;
const TORCH_SCHEDULER: Record<SchedulerConfig['name'], string | null> = {
  none: null,
  step: 'StepLR',
  multistep: 'MultiStepLR',
  exponential: 'ExponentialLR',
  cosine: 'CosineAnnealingLR',
  plateau: 'ReduceLROnPlateau',
  linear: 'LinearLR',
  onecycle: 'OneCycleLR',
  warmup_cosine: 'LambdaLR',
};

// ---- The cases ----

interface Case {
  spec: ModelSpec;
  config: TrainConfig;
  script: string;
  group: Record<string, unknown>;
  /** Kiln's parameter groups: each one's parameter count and weight decay. */
  groups: [number, number][];
  optimizer: string;
}

interface Report {
  script: string;
  error?: string;
  rebound: string[];
  class: string;
  class_used_at: number[];
  shape: number[];
  max_diff: number | null;
  scale: number;
  calls: { call: string; args: Record<string, unknown> }[];
  groups: [number, number][];
  config: Record<string, unknown>;
  model_name: string;
}

/** A random state for every tensor (BatchNorm's variances positive, its counter whole). */
function randomState(sd: Map<string, HostTensor>, seed: number): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  let s = seed;
  for (const [k, t] of sd) {
    const n = t.data.length;
    const r = randnValues(n, s++, 0.5);
    const data =
      t.dtype === 'int32'
        ? Int32Array.from(r, (v) => Math.floor(Math.abs(v) * 100))
        : k.endsWith('running_var')
          ? Float32Array.from(r, (v) => 0.5 + Math.abs(v))
          : r;
    out.set(k, { shape: t.shape, dtype: t.dtype, data });
  }
  return out;
}

function firstLeaf(layers: readonly LayerSpec[]): LeafSpec {
  const l = layers[0];
  return isBlock(l) ? firstLeaf(l.layers) : l;
}

const BATCH = 2;

async function writeCase(dir: string, i: number, spec: ModelSpec, config: TrainConfig): Promise<Case> {
  const model = buildModel(spec);
  model.loadStateDict(randomState(await model.stateDictData(), 1000 * i));
  model.eval();
  const n = BATCH * spec.inputShape.reduce((a, b) => a * b, 1);
  const shape = [BATCH, ...spec.inputShape];
  const x =
    spec.inputDtype === 'int32'
      ? Int32Array.from(
          randnValues(n, i),
          (v) => Math.floor(Math.abs(v) * 1000) % (firstLeaf(spec.layers).numEmbeddings as number),
        )
      : randnValues(n, i);
  const y = await noGrad(() => model.forward(ops.tensor(backend, x, shape))).data();
  const out = [BATCH, ...(outputShape(spec) ?? [])];
  const script = join(dir, `train_${i}.py`);
  writeFileSync(script, exportPytorch(spec, config));
  writeFileSync(join(dir, `state_${i}.safetensors`), stateDictToSafetensors(await model.stateDictData()));
  writeFileSync(
    join(dir, `io_${i}.safetensors`),
    stateDictToSafetensors(
      new Map<string, HostTensor>([
        ['x', { shape, dtype: spec.inputDtype ?? 'float32', data: x }],
        ['y', { shape: out, dtype: 'float32', data: y as Float32Array }],
      ]),
    ),
  );
  const optimizer = createOptimizer(config, model);
  const { params: _, ...group } = optimizer.paramGroups[0];
  const groups = optimizer.paramGroups.map((g): [number, number] => [
    g.params.length,
    g.weightDecay as number,
  ]);
  return { spec, config, script, group, groups, optimizer: optimizer.constructor.name };
}

/** One line per failed expectation of a case, with what reproduces it. */
function problems(c: Case, r: Report): string[] {
  if (r.error) return [r.error];
  const out: string[] = [];
  const want = (ok: boolean, what: string) => {
    if (!ok) out.push(what);
  };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  want(r.rebound.length === 0, `module-level names bound twice: ${r.rebound.join(', ')}`);
  want(
    r.class_used_at.length === 0,
    `the model class ${r.class} shadows a name read at lines ${r.class_used_at}`,
  );
  // A lone surrogate cannot be written as UTF-8: the script holds U+FFFD, as the file would.
  const utf8 = Buffer.from(c.spec.name).toString();
  want(r.model_name === utf8, `MODEL_NAME is ${JSON.stringify(r.model_name)}`);
  want(
    r.max_diff !== null && r.max_diff <= 1e-4 * (1 + r.scale),
    `outputs differ from Kiln's by ${r.max_diff} (shape ${r.shape}, largest ${r.scale})`,
  );
  const call = (name: string | null) => r.calls.find((x) => x.call === name)?.args;
  const c1 = c.config;
  for (const [key, where] of Object.entries(REACHES) as [keyof TrainConfig, string][]) {
    if (where === 'loop') {
      want(same(r.config[key], c1[key]), `CONFIG["${key}"] is ${JSON.stringify(r.config[key])}`);
      want(TRAIN_PY_RUNTIME.includes(`CONFIG["${key}"]`), `the script never reads CONFIG["${key}"]`);
    }
  }
  // The optimizer: torch's class and every hyperparameter Kiln's optimizer for this config holds.
  const opt = call(TORCH_OPTIMIZER[c1.optimizer]);
  want(opt !== undefined, `no torch.optim.${TORCH_OPTIMIZER[c1.optimizer]}`);
  want(c.optimizer === TORCH_OPTIMIZER[c1.optimizer], `Kiln made a ${c.optimizer}`);
  // In nanoGPT's groups each group sets its own weight decay: the groups are compared instead.
  for (const [k, v] of Object.entries(c.group))
    if (!(c1.decayMatricesOnly && k === 'weightDecay'))
      want(
        same(opt?.[snake(k)], v),
        `${snake(k)} is ${JSON.stringify(opt?.[snake(k)])}, Kiln's ${JSON.stringify(v)}`,
      );
  want(
    same(r.groups, c.groups),
    `param groups ${JSON.stringify(r.groups)}, Kiln's ${JSON.stringify(c.groups)}`,
  );
  for (const k of ['lr', 'momentum', 'nesterov', 'weightDecay', 'betas'] as const)
    if (opt && snake(k) in opt) want(same(opt[snake(k)], c1[k]), `${snake(k)} is not the config's ${c1[k]}`);
  const s = c1.scheduler;
  const sched = call(TORCH_SCHEDULER[s.name]);
  want(s.name === 'none' || sched !== undefined, `no ${TORCH_SCHEDULER[s.name]}`);
  if (s.name === 'warmup_cosine') {
    // LambdaLR takes a function: its factors over the first steps (export_check.py's LAMBDA_STEPS),
    // against Kiln's WarmupCosineLR for the same initial lr.
    const factors = (sched?.lr_lambda ?? []) as number[];
    const kiln = factors.map((_, i) => WarmupCosineLR.lrAt(i, c1.lr, s) / c1.lr);
    want(
      factors.length > 0 &&
        factors.every((f, i) => Math.abs(f - kiln[i]) <= 1e-12 * Math.max(1, Math.abs(kiln[i]))),
      `LambdaLR's factors ${JSON.stringify(factors.slice(0, 8))}... are not WarmupCosineLR's ${JSON.stringify(kiln.slice(0, 8))}...`,
    );
  } else
    for (const [k, v] of Object.entries(s))
      if (k !== 'name')
        want(same(sched?.[snake(k)], v), `${s.name}'s ${snake(k)} is ${JSON.stringify(sched?.[snake(k)])}`);
  want(same(call('CrossEntropyLoss')?.label_smoothing, c1.labelSmoothing), 'label_smoothing differs');
  want(same(call('clip_grad_norm_')?.max_norm ?? null, c1.clipNorm), 'clip_grad_norm_ differs');
  want(same(call('clip_grad_value_')?.clip_value ?? null, c1.clipValue), 'clip_grad_value_ differs');
  return out;
}

describe('every spec and config Kiln accepts exports a script that compiles, loads and agrees', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-export-property-'));
  const cases: Case[] = [];
  const reports: Report[] = [];

  beforeAll(async () => {
    setDefaultBackend(backend);
    const samples = fc.sample(fc.tuple(modelArb, configArb), { numRuns: CASES, seed: SEED });
    for (const [i, [spec, config]] of samples.entries()) {
      expect(specError(spec), JSON.stringify(spec)).toBeNull();
      checkConfig(config);
      cases.push(await writeCase(dir, i, spec, config));
    }
    // nanoGPT's weight tying: the script's model must share one tensor too (its parameter groups
    // would count lm_head's weight apart otherwise) and load both keys strictly.
    const tied = TEXT_PRESETS.gpt({ vocabSize: 11, blockSize: 5, nLayer: 1, nHead: 2, nEmbd: 6, tie: true });
    cases.push(await writeCase(dir, cases.length, tied, samples[0][1]));
    const list = join(dir, 'cases.json');
    writeFileSync(
      list,
      JSON.stringify(
        cases.map((_, i) => ({
          script: join(dir, `train_${i}.py`),
          state: join(dir, `state_${i}.safetensors`),
          io: join(dir, `io_${i}.safetensors`),
        })),
      ),
    );
    const stdout = execFileSync(PYTHON, [CHECK, list], {
      encoding: 'utf8',
      timeout: 90_000,
      maxBuffer: 1 << 26,
    });
    reports.push(
      ...stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Report),
    );
  });

  it('compiles, loads strictly, gives the same outputs and the config’s optimizer, scheduler, loss and clipping', () => {
    const failed = cases.flatMap((c, i) => {
      const found = problems(c, reports[i]);
      return found.length
        ? [
            `${c.script}: ${found.join('; ')}\n  spec ${JSON.stringify(c.spec)}\n  config ${JSON.stringify(c.config)}`,
          ]
        : [];
    });
    expect(failed, failed.join('\n')).toEqual([]);
  });

  it('covers every layer type, block, optimizer and scheduler', () => {
    const types = new Set<string>();
    const visit = (ls: readonly LayerSpec[]) => {
      for (const l of ls) {
        types.add(l.type);
        if (isBlock(l)) visit(l.layers);
      }
    };
    for (const c of cases) visit(c.spec.layers);
    expect([...types].sort()).toEqual(
      [...LAYERS.map((d) => d.type), 'Residual', 'Repeat', 'Sequential'].sort(),
    );
    expect(new Set(cases.map((c) => c.config.optimizer)).size).toBe(OPTIMIZERS.length);
    expect(new Set(cases.map((c) => c.config.scheduler.name)).size).toBe(Object.keys(TORCH_SCHEDULER).length);
    expect(cases.some((c) => c.config.nesterov)).toBe(true);
  });
});

describe('layer names that would break the script', () => {
  it('are refused by specError in one line, wherever they are in the tree', () => {
    const base = fc.sample(
      modelArb.filter((s) => s.layers.length > 0),
      { numRuns: 40, seed: SEED + 1 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...base),
        fc.constantFrom(...HOSTILE_LAYER_NAMES),
        fc.nat(),
        (spec, name, pick) => {
          const copy = structuredClone(spec);
          const nodes: LayerSpec[] = [];
          const visit = (ls: LayerSpec[]) => {
            for (const l of ls) {
              nodes.push(l);
              if (isBlock(l)) visit(l.layers);
            }
          };
          visit(copy.layers);
          nodes[pick % nodes.length].name = name;
          const error = specError(copy);
          expect(error).not.toBeNull();
          expect(error).toMatch(/^[^\n\r\0]+$/);
          expect(error!.length).toBeLessThan(300);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
