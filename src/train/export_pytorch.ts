/**
 * Export to PyTorch: a model spec and training config written out as the guide's program for that
 * exact setup, a standalone train.py needing only torch. Its model class uses the spec's attribute
 * names, so Kiln's state-dict keys load as they are; it reads Kiln's .safetensors files (a state
 * dict or a full checkpoint) with its own few lines when the safetensors package is absent, and
 * runs single-process or under torchrun with DistributedDataParallel.
 */
import { type FieldDef, LAYERS, layerDef } from '../nn/layers';
import {
  isBlock,
  type LayerSpec,
  layerName,
  type ModelSpec,
  outputShape,
  resolveFields,
  textTarget,
} from '../nn/spec';
import type { TrainConfig } from './config';
import { TRAIN_PY_RUNTIME } from './export_pytorch_runtime';

/** A JSON-like value as a Python literal. */
export function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return "float('nan')";
    if (!Number.isFinite(v)) return v > 0 ? "float('inf')" : "float('-inf')";
    return String(v);
  }
  // JSON's escapes are Python's too; a lone surrogate (a name cut inside an emoji) becomes U+FFFD
  // as in any UTF-8 file, since Python cannot print it or hold it in a class's docstring.
  if (typeof v === 'string') return JSON.stringify(v.replace(LONE_SURROGATE, '\uFFFD'));
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>).map(
    ([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`,
  );
  return `{${entries.join(', ')}}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A Python class name from a model's display name ("LeNet-5" -> LeNet5), with "Model" added when
 * the script already uses the name (None, CONFIG, OrderedDict, Residual, Exception...): the class
 * would shadow it.
 */
export function pyClassName(name: string): string {
  const words = name.match(/[A-Za-z0-9]+/g) ?? [];
  const joined = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  let cls = /^[A-Za-z]/.test(joined) ? joined : `Model${joined}`;
  while (scriptNames().has(cls)) cls += 'Model';
  return cls;
}

let names: Set<string> | undefined;

// Every word of the script's fixed text (its imports, constants, helpers, classes, the builtins
// it calls), and Python's capitalised keywords. Docstring words count too: a model named after
// one merely gets the suffix. Built on first use, as TRAIN_PY_HEADER is defined below.
function scriptNames(): Set<string> {
  const fixed = [TRAIN_PY_HEADER, TRAIN_PY_RUNTIME, RESIDUAL_CLASS, ...LAYERS.map((d) => d.pyClasses ?? '')];
  names ??= new Set(
    [...fixed.join('\n').matchAll(/[A-Za-z_]\w*/g)].map((m) => m[0]).concat(['None', 'True', 'False']),
  );
  return names;
}

/** A field's value as a Python literal: ints as written, floats and booleans via pyLiteral. */
const pyField = (v: number | boolean | undefined) => pyLiteral(v);

/**
 * The torch.nn constructor call for one node, with PyTorch's argument names: required arguments
 * in order, the others as keywords where they differ from PyTorch's default. Containers nest as
 * nn.Sequential of an OrderedDict (so keys are the spec's names), indented by `indent`.
 */
export function torchLayer(l: LayerSpec, indent = ''): string {
  if (isBlock(l)) {
    const inner = [
      'OrderedDict([',
      ...l.layers.map(
        (c, i) => `${indent}    (${pyLiteral(layerName(c, i))}, ${torchLayer(c, `${indent}    `)}),`,
      ),
      `${indent}])`,
    ].join('\n');
    if (l.type === 'Repeat')
      return `nn.Sequential(*[nn.Sequential(${inner}) for _ in range(${l.times ?? 1})])`;
    return `${l.type === 'Residual' ? 'Residual' : 'nn.Sequential'}(${inner})`;
  }
  const def = layerDef(l.type);
  const fields = def && resolveFields(def, l);
  if (!def || typeof fields !== 'object')
    throw new Error(`cannot export layer ${l.type}: ${fields ?? 'unknown type'}`);
  if (def.torch) return def.torch(fields);
  const optional = (f: FieldDef) => f.default !== undefined || f.none !== undefined;
  const args = [
    ...def.fields.filter((f) => !optional(f)).map((f) => pyField(fields[f.key])),
    ...def.fields
      .filter((f) => optional(f) && fields[f.key] !== undefined && fields[f.key] !== f.default)
      .map((f) => `${f.py}=${pyField(fields[f.key])}`),
  ];
  // A layer torch.nn lacks is a class of the script's own (its pyClasses).
  return `${def.pyClasses ? '' : 'nn.'}${def.type}(${args.join(', ')})`;
}

/** The Python classes a spec's layers need beyond torch.nn (Residual, and layers the registry defines). */
export function torchClasses(spec: ModelSpec): string {
  const found = new Set<string>();
  const visit = (layers: readonly LayerSpec[]) => {
    for (const l of layers) {
      if (isBlock(l)) {
        if (l.type === 'Residual') found.add(RESIDUAL_CLASS);
        visit(l.layers);
      } else {
        const classes = layerDef(l.type)?.pyClasses;
        if (classes) found.add(classes);
      }
    }
  };
  visit(spec.layers);
  return [...found].map((c) => `${c}\n\n`).join('\n');
}

const RESIDUAL_CLASS = `class Residual(nn.Sequential):
    """x + f(x): its layers in order, added to their input (Kiln's residual block)."""

    def forward(self, x):
        return x + super().forward(x)
`;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The model class. With attribute names (fc1, fc2) it is the guide's style, attributes plus
 * forward; with nn.Sequential's index names ("0", "1") it subclasses nn.Sequential, whose keys
 * are then "0.weight" as in Kiln.
 */
export function torchModelClass(spec: ModelSpec): string {
  const cls = pyClassName(spec.name);
  const names = spec.layers.map(layerName);
  // The name is the user's: it reaches the script only through pyLiteral, never spliced into a docstring.
  const doc = `    ${pyLiteral(`${spec.name}: input [N, ${spec.inputShape.join(', ')}], exported from Kiln.`)}`;
  // Tied weights (nanoGPT's lm_head and wte): one Parameter in both modules, as in Kiln.
  const ties = Object.entries(spec.tied ?? {}).map(
    ([target, source]) =>
      `        self.get_submodule(${pyLiteral(target.slice(0, -7))}).weight = self.get_submodule(${pyLiteral(source.slice(0, -7))}).weight`,
  );
  if (names.every((n) => IDENTIFIER.test(n))) {
    return [
      `class ${cls}(nn.Module):`,
      doc,
      '',
      '    def __init__(self):',
      '        super().__init__()',
      ...spec.layers.map((l, i) => `        self.${names[i]} = ${torchLayer(l, '        ')}`),
      ...ties,
      '',
      '    def forward(self, x):',
      ...names.map((n) => `        x = self.${n}(x)`),
      '        return x',
    ].join('\n');
  }
  return [
    `class ${cls}(nn.Sequential):`,
    doc,
    '',
    '    def __init__(self):',
    '        super().__init__(OrderedDict([',
    ...spec.layers.map((l, i) => `            (${pyLiteral(names[i])}, ${torchLayer(l, '            ')}),`),
    '        ]))',
    ...ties,
  ].join('\n');
}

/**
 * The optimizer construction for a config, over `params`: the model's parameters, or nanoGPT's
 * groups (the runtime's decay_groups, Kiln's decayGroups) when the config decays matrices only.
 */
export function torchOptimizer(c: TrainConfig): string {
  const wd = `weight_decay=${pyLiteral(c.weightDecay)}`;
  switch (c.optimizer) {
    case 'sgd':
      return `optim.SGD(params, lr=${pyLiteral(c.lr)}, momentum=${pyLiteral(c.momentum)}, ${wd}${c.nesterov ? ', nesterov=True' : ''})`;
    case 'adam':
    case 'adamw':
      return `optim.${c.optimizer === 'adam' ? 'Adam' : 'AdamW'}(params, lr=${pyLiteral(c.lr)}, betas=(${c.betas.map(pyLiteral).join(', ')}), ${wd})`;
    case 'rmsprop':
      return `optim.RMSprop(params, lr=${pyLiteral(c.lr)}, momentum=${pyLiteral(c.momentum)}, ${wd})`;
  }
}

/** The scheduler construction for a config ("None" without one), and when it steps. */
export function torchScheduler(c: TrainConfig): {
  make: string;
  every: 'none' | 'batch' | 'epoch' | 'plateau';
} {
  const s = c.scheduler;
  const lr = 'optim.lr_scheduler';
  switch (s.name) {
    case 'none':
      return { make: 'None', every: 'none' };
    case 'step':
      return {
        make: `${lr}.StepLR(optimizer, step_size=${s.stepSize}, gamma=${pyLiteral(s.gamma)})`,
        every: 'epoch',
      };
    case 'multistep':
      return {
        make: `${lr}.MultiStepLR(optimizer, milestones=${pyLiteral(s.milestones)}, gamma=${pyLiteral(s.gamma)})`,
        every: 'epoch',
      };
    case 'exponential':
      return { make: `${lr}.ExponentialLR(optimizer, gamma=${pyLiteral(s.gamma)})`, every: 'epoch' };
    case 'cosine':
      return {
        make: `${lr}.CosineAnnealingLR(optimizer, T_max=${s.tMax}, eta_min=${pyLiteral(s.etaMin)})`,
        every: 'epoch',
      };
    case 'linear':
      return {
        make: `${lr}.LinearLR(optimizer, start_factor=${pyLiteral(s.startFactor)}, end_factor=${pyLiteral(s.endFactor)}, total_iters=${s.totalIters})`,
        every: 'epoch',
      };
    case 'plateau':
      return {
        make: `${lr}.ReduceLROnPlateau(optimizer, mode=${pyLiteral(s.mode)}, factor=${pyLiteral(s.factor)}, patience=${s.patience}, threshold=${pyLiteral(s.threshold)}, cooldown=${s.cooldown}, min_lr=${pyLiteral(s.minLr)})`,
        every: 'plateau',
      };
    case 'onecycle':
      return {
        make: `${lr}.OneCycleLR(optimizer, max_lr=${pyLiteral(s.maxLr)}, epochs=num_epochs, steps_per_epoch=steps_per_epoch, pct_start=${pyLiteral(s.pctStart)})`,
        every: 'batch',
      };
    case 'warmup_cosine': {
      // nanoGPT's get_lr(it) divided by the initial lr, as LambdaLR multiplies it back (Kiln's
      // WarmupCosineLR); min_lr is absolute, as in nanoGPT.
      const [w, d, m] = [s.warmupSteps, s.decaySteps, pyLiteral(s.minLr)];
      const base = pyLiteral(c.lr);
      return {
        make: `${lr}.LambdaLR(optimizer, lambda it: (it + 1) / ${w + 1} if it < ${w} else (${m} if it > ${d} else ${m} + 0.5 * (1 + math.cos(math.pi * (it - ${w}) / ${Math.max(d - w, 1)})) * (${base} - ${m})) / ${base})`,
        every: 'batch',
      };
    }
  }
}

/** clip_gradients' body: the run's clipping, or a pass saying there is none. */
function clipLines(c: TrainConfig): string {
  const lines = [
    ...(c.clipNorm !== null
      ? [`torch.nn.utils.clip_grad_norm_(params, max_norm=${pyLiteral(c.clipNorm)})`]
      : []),
    ...(c.clipValue !== null
      ? [`torch.nn.utils.clip_grad_value_(params, clip_value=${pyLiteral(c.clipValue)})`]
      : []),
  ];
  // params is a generator: clipping twice needs it as a list.
  const body = lines.length ? ['params = list(params)', ...lines] : ['pass  # this run clips no gradients'];
  return body.map((l) => `    ${l}`).join('\n');
}

/**
 * The whole train.py for a model and configuration. Run it as
 * `python3 train.py --data-dir D|--csv F --epochs N [--resume FILE]`, or under
 * `torchrun --nproc_per_node=N train.py ...` for DistributedDataParallel.
 */
export function exportPytorch(spec: ModelSpec, config: TrainConfig): string {
  const sched = torchScheduler(config);
  const cls = pyClassName(spec.name);
  const setup = `
# ---- The run Kiln exported: model ${pyLiteral(spec.name)} ----

${torchClasses(spec)}${torchModelClass(spec)}


MODEL_NAME = ${pyLiteral(spec.name)}
CONFIG = ${pyLiteral(config)}
MODEL_SPEC = ${pyLiteral(spec)}
INPUT_SHAPE = ${pyLiteral(spec.inputShape)}
# A text model's labels: the next character at every position, after the window only, or None (images, tables).
TEXT_TARGET = ${pyLiteral(spec.inputDtype === 'int32' ? textTarget(spec) : null)}
CLASSES = ${pyLiteral(outputShape(spec)?.at(-1) ?? null)}  # scores per prediction: a text model's vocabulary size
SCHEDULER_EVERY = ${JSON.stringify(sched.every)}  # when scheduler.step() runs: each batch, epoch, or epoch on val loss


def make_model():
    return ${cls}()


def make_optimizer(model):
    params = ${config.decayMatricesOnly ? `decay_groups(model, ${pyLiteral(config.weightDecay)})` : 'model.parameters()'}
    return ${torchOptimizer(config)}


def make_scheduler(optimizer, num_epochs, steps_per_epoch):
    return ${sched.make}


def make_criterion():
    return nn.CrossEntropyLoss(label_smoothing=${pyLiteral(config.labelSmoothing)})


def clip_gradients(params):
${clipLines(config)}
`;
  return `${TRAIN_PY_HEADER}${setup}${TRAIN_PY_RUNTIME}`;
}

const TRAIN_PY_HEADER = `#!/usr/bin/env python3
"""Training a model in PyTorch (MODEL_NAME below), exported from Kiln with the same model, data
normalisation, loss, optimizer, scheduler and clipping.

    python3 train.py --data-dir DIR --epochs N [--resume kiln.safetensors|checkpoint.pt]
    python3 train.py --csv FILE --epochs N   # a CSV: pixel rows, or a table of numeric features
    python3 train.py --text FILE --steps N   # a text model: random windows, evaluation every evalEvery steps
    python3 train.py --text FILE --resume kiln.safetensors --eval-only   # one JSON line: val_loss
    torchrun --nproc_per_node=2 train.py --data-dir DIR --epochs N   # DistributedDataParallel
    (Debian's torch 1.13 on Python 3.11 needs torchrun ... --redirects 1 --tee 1: its launcher
    cannot parse the default "0" there.)

DIR holds the MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), each plain or .gz. FILE (plain or .gz) is read
as Kiln reads it: a header line when one is there; the label column named label, target, class or
y, else the first column (the last when only it holds class indices); rows of pixels (a square
count of at least 64, integers 0..255) as images, any other table's features standardised with the
mean and std of the training rows. --resume takes a Kiln state dict or full checkpoint
(safetensors) or a checkpoint this script saved (.pt), whatever the file's name: the content tells
them apart. FILE for --text is read as Kiln reads it: UTF-8 (gzipped or not), its sorted
characters the vocabulary, the first 90% trained on in random windows of block_size + 1
characters, the last 10% evaluated in consecutive windows (each character predicted once; the
loss is in nats per character). Needs only torch.
"""
import argparse
import gzip
import json
import math
import os
import re
import struct
import sys
import time
from collections import OrderedDict

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Subset, TensorDataset
`;
