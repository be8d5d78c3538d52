/**
 * The layer registry: one entry per layer type holding, once, everything Kiln knows about it: its
 * fields with PyTorch's names and defaults, its shape inference, the module it builds, its line in
 * the exported PyTorch script, its token in the CLI's --model grammar and what the builder needs
 * to add one. The spec tree (spec.ts), the model builder (models.ts), the exporter, the CLI and
 * the page's builder all read this table, so adding a layer is: its kernels (if new), its gradient
 * rule, its module, its entry here, its tests.
 */
import {
  BATCH_NORM_DEFAULTS,
  CONV_DEFAULTS,
  DROPOUT_P,
  FLATTEN_DEFAULTS,
  LAYER_NORM_EPS,
  LEAKY_RELU_SLOPE,
  POOL_PADDING,
} from './defaults';
import type { Module } from './module';
import type * as modules from './modules';

/** The layer classes an entry builds from (nn/modules.ts), handed in by models.ts. */
export type Modules = typeof modules;

/** One constructor argument of a layer, named as in PyTorch. */
export interface FieldDef {
  /** The property on the spec (camelCase). */
  key: string;
  /** PyTorch's keyword (snake_case): what a PyTorch user recognises, in labels and the export. */
  py: string;
  kind: 'int' | 'float' | 'bool';
  /** PyTorch's default; a field without one is required (or, with `none`, defaults to None). */
  default?: number | boolean;
  /** What PyTorch's None means for this field (pooling's stride: the kernel size). */
  none?: string;
  /** Smallest allowed value, and whether it is excluded. */
  min?: number;
  minExclusive?: boolean;
  /** Largest allowed value, and whether it is excluded. */
  max?: number;
  maxExclusive?: boolean;
  /** The value a layer added in the builder starts with, for a required field not fitted to its input. */
  example?: number;
}

/** A layer's fields after PyTorch's defaults were filled in. */
export type Fields = Record<string, number | boolean | undefined>;

/** What a layer makes of its per-sample input shape: the output and its parameter and buffer counts. */
export interface Inferred {
  out: number[];
  params?: number;
  buffers?: number;
  /** Values kept for backward beyond the output (attention's q, k, v and weights), per sample. */
  saved?: number;
}

/** Everything about one layer type. */
export interface LayerDef {
  /** PyTorch's class name, the spec's `type`. */
  type: string;
  /** One line for the builder's menu and --help. */
  doc: string;
  /** Constructor arguments in PyTorch's order. */
  fields: FieldDef[];
  /** The input's element type: token ids (int32) for embeddings, floats for everything else. */
  input?: 'int32';
  /** The output shape for a per-sample input shape, or why this layer cannot take it. */
  infer(l: Fields, shape: number[]): Inferred | string;
  /** The module. */
  build(l: Fields, nn: Modules): Module;
  /** The torch.nn constructor call (generated from the fields unless the layer needs its own). */
  torch?(l: Fields): string;
  /** Python class definitions the exported script needs for this layer (a layer torch.nn lacks). */
  pyClasses?: string;
  /** The --model grammar: tokens, positional arguments (field keys), and which input it applies to. */
  cli: { tokens: string[]; args: string[]; when?: (shape: number[]) => boolean };
  /** Fields that follow from the input shape (Linear's in_features): the CLI and the builder fill them. */
  fit?(shape: number[]): Fields;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const int = (key: string, py: string, more: Partial<FieldDef> = {}): FieldDef => ({
  key,
  py,
  kind: 'int',
  min: 1,
  ...more,
});
const float = (key: string, py: string, more: Partial<FieldDef> = {}): FieldDef => ({
  key,
  py,
  kind: 'float',
  ...more,
});
const bias: FieldDef = { key: 'bias', py: 'bias', kind: 'bool', default: true };
const n = (l: Fields, key: string) => l[key] as number;
const shown = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** An output the same shape as the input: activations, dropout. */
const sameShape = (_l: Fields, shape: number[]): Inferred => ({ out: shape });

function activation(type: string, doc: string, make: (nn: Modules) => Module, token: string): LayerDef {
  return {
    type,
    doc,
    fields: [],
    infer: sameShape,
    build: (_l, nn) => make(nn),
    cli: { tokens: [token], args: [] },
  };
}

/** A square window's output size, or null when the window does not fit. */
function windowOut(size: number, k: number, stride: number, padding: number): number | null {
  const out = Math.floor((size + 2 * padding - k) / stride) + 1;
  return out >= 1 ? out : null;
}

const pool = (type: 'MaxPool2d' | 'AvgPool2d'): LayerDef => ({
  type,
  doc: `2-D ${type === 'MaxPool2d' ? 'max' : 'average'} pooling over [C, H, W]`,
  fields: [
    int('kernelSize', 'kernel_size', { example: 2 }),
    int('stride', 'stride', { none: 'kernel_size' }),
    int('padding', 'padding', { default: POOL_PADDING, min: 0 }),
  ],
  infer(l, shape) {
    const k = n(l, 'kernelSize');
    const [stride, padding] = [n(l, 'stride') ?? k, n(l, 'padding')];
    if (shape.length !== 3) return `expects a [C, H, W] input, got ${shown(shape)}`;
    if (2 * padding > k) return 'padding must be at most half the kernel size';
    const [h, w] = [shape[1], shape[2]].map((d) => windowOut(d, k, stride, padding));
    if (h === null || w === null) return `kernel ${k} is larger than the input ${shape[1]}x${shape[2]}`;
    return { out: [shape[0], h, w] };
  },
  build: (l, nn) =>
    new nn[type](n(l, 'kernelSize'), { stride: n(l, 'stride') ?? undefined, padding: n(l, 'padding') }),
  cli: { tokens: [type === 'MaxPool2d' ? 'maxpool' : 'avgpool'], args: ['kernelSize', 'stride', 'padding'] },
});

const batchNorm = (rank: 1 | 3): LayerDef => ({
  type: rank === 1 ? 'BatchNorm1d' : 'BatchNorm2d',
  doc: `batch normalisation over ${rank === 1 ? '[features]' : '[C, H, W] channels'}`,
  fields: [
    int('numFeatures', 'num_features'),
    float('eps', 'eps', { default: BATCH_NORM_DEFAULTS.eps, min: 0, minExclusive: true }),
    float('momentum', 'momentum', { default: BATCH_NORM_DEFAULTS.momentum, min: 0, max: 1 }),
  ],
  infer(l, shape) {
    if (shape.length !== rank)
      return `expects a ${rank === 1 ? '[features]' : '[C, H, W]'} input, got ${shown(shape)}`;
    const f = n(l, 'numFeatures');
    if (shape[0] !== f) return `num_features is ${f} but the input has ${shape[0]}`;
    return { out: shape, params: 2 * f, buffers: 2 * f + 1 };
  },
  build: (l, nn) => {
    const opts = { eps: n(l, 'eps'), momentum: n(l, 'momentum') };
    return rank === 1
      ? new nn.BatchNorm1d(n(l, 'numFeatures'), opts)
      : new nn.BatchNorm2d(n(l, 'numFeatures'), opts);
  },
  cli: { tokens: ['bn', 'batchnorm'], args: [], when: (shape) => (shape.length === 3) === (rank === 3) },
  fit: (shape) => ({ numFeatures: shape[0] }),
});

/** Every layer type, in the order the builder offers them. */
export const LAYERS: readonly LayerDef[] = [
  {
    type: 'Linear',
    doc: 'y = x W^T + b over the last dimension',
    fields: [int('inFeatures', 'in_features'), int('outFeatures', 'out_features', { example: 128 }), bias],
    infer(l, shape) {
      const [i, o] = [n(l, 'inFeatures'), n(l, 'outFeatures')];
      if (shape.length === 0) return 'expects an input with a feature dimension, got a scalar';
      const last = shape[shape.length - 1];
      if (last !== i) {
        const flat = shape.length > 1 && prod(shape) === i ? ': add a Flatten' : '';
        return shape.length === 1
          ? `in_features is ${i} but the input has ${last} features`
          : `in_features is ${i} but the input ${shown(shape)} has ${last} features in its last dimension${flat}`;
      }
      return { out: [...shape.slice(0, -1), o], params: i * o + (l.bias ? o : 0) };
    },
    build: (l, nn) => new nn.Linear(n(l, 'inFeatures'), n(l, 'outFeatures'), { bias: l.bias as boolean }),
    cli: { tokens: ['linear'], args: ['outFeatures'] },
    fit: (shape) => ({ inFeatures: shape[shape.length - 1] ?? 1 }),
  },
  {
    type: 'Conv2d',
    doc: '2-D convolution over [C, H, W]',
    fields: [
      int('inChannels', 'in_channels'),
      int('outChannels', 'out_channels', { example: 16 }),
      int('kernelSize', 'kernel_size', { example: 3 }),
      int('stride', 'stride', { default: CONV_DEFAULTS.stride }),
      int('padding', 'padding', { default: CONV_DEFAULTS.padding, min: 0, example: 1 }),
      bias,
    ],
    infer(l, shape) {
      const [ci, co, k] = [n(l, 'inChannels'), n(l, 'outChannels'), n(l, 'kernelSize')];
      if (shape.length !== 3) return `expects a [C, H, W] input, got ${shown(shape)}`;
      if (shape[0] !== ci) return `in_channels is ${ci} but the input has ${shape[0]} channels`;
      const [h, w] = [shape[1], shape[2]].map((d) => windowOut(d, k, n(l, 'stride'), n(l, 'padding')));
      if (h === null || w === null)
        return `kernel ${k} is larger than the padded input ${shape[1]}x${shape[2]}`;
      return { out: [co, h, w], params: co * ci * k * k + (l.bias ? co : 0) };
    },
    build: (l, nn) =>
      new nn.Conv2d(n(l, 'inChannels'), n(l, 'outChannels'), n(l, 'kernelSize'), {
        stride: n(l, 'stride'),
        padding: n(l, 'padding'),
        bias: l.bias as boolean,
      }),
    cli: { tokens: ['conv', 'conv2d'], args: ['outChannels', 'kernelSize', 'stride', 'padding'] },
    fit: (shape) => ({ inChannels: shape[0] ?? 1 }),
  },
  pool('MaxPool2d'),
  pool('AvgPool2d'),
  batchNorm(1),
  batchNorm(3),
  {
    type: 'LayerNorm',
    doc: 'layer normalisation over the last dimension',
    fields: [
      int('normalizedShape', 'normalized_shape'),
      float('eps', 'eps', { default: LAYER_NORM_EPS, min: 0, minExclusive: true }),
      { key: 'elementwiseAffine', py: 'elementwise_affine', kind: 'bool', default: true },
      bias,
    ],
    infer(l, shape) {
      const c = n(l, 'normalizedShape');
      if (shape.at(-1) !== c)
        return `normalized_shape is ${c} but the input ${shown(shape)} has ${shape.at(-1) ?? 'no'} features in its last dimension`;
      return { out: shape, params: l.elementwiseAffine ? (l.bias ? 2 * c : c) : 0 };
    },
    build: (l, nn) =>
      new nn.LayerNorm(n(l, 'normalizedShape'), {
        eps: n(l, 'eps'),
        elementwiseAffine: l.elementwiseAffine as boolean,
        bias: l.bias as boolean,
      }),
    // torch.nn.LayerNorm takes bias= from PyTorch 2.1 only; the script's own runs on older ones too.
    pyClasses: `class LayerNorm(nn.LayerNorm):
    """nn.LayerNorm with PyTorch 2.1's bias argument on any version: bias=False keeps the weight alone."""

    def __init__(self, normalized_shape, eps=1e-05, elementwise_affine=True, bias=True):
        super().__init__(normalized_shape, eps=eps, elementwise_affine=elementwise_affine)
        if elementwise_affine and not bias:
            self.bias = None
`,
    cli: { tokens: ['layernorm', 'ln'], args: [] },
    fit: (shape) => ({ normalizedShape: shape[shape.length - 1] ?? 1 }),
  },
  {
    type: 'Embedding',
    doc: 'a learned vector per token id: [T] ids to [T, embedding_dim]',
    fields: [
      int('numEmbeddings', 'num_embeddings', { example: 256 }),
      int('embeddingDim', 'embedding_dim', { example: 64 }),
    ],
    input: 'int32',
    infer: (l, shape) => ({
      out: [...shape, n(l, 'embeddingDim')],
      params: n(l, 'numEmbeddings') * n(l, 'embeddingDim'),
    }),
    build: (l, nn) => new nn.Embedding(n(l, 'numEmbeddings'), n(l, 'embeddingDim')),
    cli: { tokens: ['embedding'], args: ['numEmbeddings', 'embeddingDim'] },
  },
  {
    type: 'PositionalEmbedding',
    doc: "learned positions added to a [T, C] input (nanoGPT's wpe), num_embeddings = block size",
    fields: [int('numEmbeddings', 'num_embeddings'), int('embeddingDim', 'embedding_dim')],
    infer(l, shape) {
      const [num, dim] = [n(l, 'numEmbeddings'), n(l, 'embeddingDim')];
      if (shape.length !== 2) return `expects a [T, C] input (a sequence of vectors), got ${shown(shape)}`;
      if (shape[1] !== dim) return `embedding_dim is ${dim} but the input has ${shape[1]} features`;
      if (shape[0] > num) return `the input has ${shape[0]} positions, more than num_embeddings ${num}`;
      return { out: shape, params: num * dim };
    },
    build: (l, nn) => new nn.PositionalEmbedding(n(l, 'numEmbeddings'), n(l, 'embeddingDim')),
    pyClasses: `class PositionalEmbedding(nn.Embedding):
    """Learned absolute positions (nanoGPT's wpe): x + weight[:T] for an input [..., T, C]."""

    def forward(self, x):
        return x + super().forward(torch.arange(x.shape[-2], device=x.device))
`,
    cli: { tokens: ['posembed'], args: ['numEmbeddings'] },
    fit: (shape) => ({ numEmbeddings: shape[0] ?? 1, embeddingDim: shape[shape.length - 1] ?? 1 }),
  },
  {
    type: 'Dropout',
    doc: 'zeroes inputs with probability p in training',
    fields: [float('p', 'p', { default: DROPOUT_P, min: 0, max: 1, maxExclusive: true })],
    infer: sameShape,
    build: (l, nn) => new nn.Dropout(n(l, 'p')),
    cli: { tokens: ['dropout'], args: ['p'] },
  },
  {
    type: 'Flatten',
    doc: 'flattens dims start_dim..end_dim into one',
    fields: [
      int('startDim', 'start_dim', { default: FLATTEN_DEFAULTS.startDim }),
      int('endDim', 'end_dim', { default: FLATTEN_DEFAULTS.endDim, min: undefined }),
    ],
    infer(l, shape) {
      // Dims count from the batch dim as in PyTorch: a sample's dim i is the batch's dim i + 1.
      const rank = shape.length + 1;
      const [s, e] = [n(l, 'startDim'), n(l, 'endDim')].map((d) => (d < 0 ? d + rank : d));
      if (s < 1 || e < s || e >= rank)
        return `start_dim ${n(l, 'startDim')} and end_dim ${n(l, 'endDim')} must span dims 1..${rank - 1} of [N, ${shape.join(', ')}] in order`;
      return { out: [...shape.slice(0, s - 1), prod(shape.slice(s - 1, e)), ...shape.slice(e)] };
    },
    build: (l, nn) => new nn.Flatten(n(l, 'startDim'), n(l, 'endDim')),
    cli: { tokens: ['flatten'], args: ['startDim', 'endDim'] },
  },
  activation('ReLU', 'max(x, 0)', (nn) => new nn.ReLU(), 'relu'),
  {
    type: 'LeakyReLU',
    doc: 'x, or negative_slope * x below 0',
    fields: [float('negativeSlope', 'negative_slope', { default: LEAKY_RELU_SLOPE })],
    infer: sameShape,
    build: (l, nn) => new nn.LeakyReLU(n(l, 'negativeSlope')),
    cli: { tokens: ['leakyrelu'], args: ['negativeSlope'] },
  },
  {
    type: 'CausalSelfAttention',
    doc: "nanoGPT's masked multi-head self-attention over [T, C] (keys c_attn, c_proj)",
    fields: [
      int('embedDim', 'embed_dim'),
      int('numHeads', 'num_heads', { example: 4 }),
      float('dropout', 'dropout', { default: 0, min: 0, max: 1, maxExclusive: true }),
      bias,
    ],
    infer(l, shape) {
      const [c, h] = [n(l, 'embedDim'), n(l, 'numHeads')];
      if (shape.length !== 2) return `expects a [T, C] input (a sequence of vectors), got ${shown(shape)}`;
      if (shape[1] !== c) return `embed_dim is ${c} but the input has ${shape[1]} features`;
      if (c % h !== 0) return `embed_dim ${c} must be divisible by num_heads ${h}`;
      const t = shape[0];
      // c_attn's output and q, k, v read out of it (6TC), the scores and their softmax (2HT^2),
      // the heads' output and its merge (2TC).
      return { out: shape, params: 4 * c * c + (l.bias ? 4 * c : 0), saved: 8 * t * c + 2 * h * t * t };
    },
    build: (l, nn) =>
      new nn.CausalSelfAttention(n(l, 'embedDim'), n(l, 'numHeads'), {
        dropout: n(l, 'dropout'),
        bias: l.bias as boolean,
      }),
    pyClasses: `class CausalSelfAttention(nn.Module):
    """nanoGPT's causal self-attention: q, k, v from one projection (c_attn), position t attending
    to 0..t, heads merged and projected (c_proj). Input [B, T, C] or [T, C]."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True):
        super().__init__()
        assert embed_dim % num_heads == 0
        self.num_heads = num_heads
        self.c_attn = nn.Linear(embed_dim, 3 * embed_dim, bias=bias)
        self.c_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x):
        shape = x.shape
        T, C = shape[-2], shape[-1]
        x = x.reshape(-1, T, C)
        B, hs = x.shape[0], C // self.num_heads
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.num_heads, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = self.attn_dropout(att.masked_fill(~causal, float("-inf")).softmax(dim=-1))
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.resid_dropout(self.c_proj(y)).reshape(shape)
`,
    cli: { tokens: ['attn', 'attention'], args: ['numHeads', 'dropout'] },
    fit: (shape) => ({ embedDim: shape[shape.length - 1] ?? 1 }),
  },
  activation('GELU', 'Gaussian error linear unit (erf form)', (nn) => new nn.GELU(), 'gelu'),
  activation('Tanh', 'hyperbolic tangent', (nn) => new nn.Tanh(), 'tanh'),
  activation('Sigmoid', 'logistic sigmoid', (nn) => new nn.Sigmoid(), 'sigmoid'),
];

const BY_TYPE = new Map(LAYERS.map((d) => [d.type, d]));

/** The registry entry of a layer type, or undefined for an unknown one. */
export function layerDef(type: string): LayerDef | undefined {
  return BY_TYPE.get(type);
}
