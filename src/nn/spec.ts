/**
 * A model described as data: a tree of modules as PyTorch has them. Leaves are layers of the
 * registry (layers.ts), keyed by PyTorch's class name with its constructor arguments; containers
 * are a Sequential, a residual block `x + f(x)` and a block repeated N times (numbered state-dict
 * prefixes `h.0.`, `h.1.`). The builder edits it, the CLI parses it from a string, `buildModel`
 * turns it into a Module, and the PyTorch exporter writes it out. Shape inference is pure, so the
 * page shows shapes, parameter counts and errors without touching a tensor.
 */
import { type FieldDef, type Fields, LAYERS, type LayerDef, layerDef } from './layers';

/** One layer of the registry: its class name, its attribute name and its constructor arguments. */
export interface LeafSpec {
  type: string;
  /** The attribute name (state-dict prefix); its index in the container when absent. */
  name?: string;
  [field: string]: number | boolean | string | undefined;
}

/** A container of layers: run in order, added to its input, or repeated `times` times. */
export interface BlockSpec {
  type: 'Sequential' | 'Residual' | 'Repeat';
  name?: string;
  /** Repeat's number of copies. */
  times?: number;
  layers: LayerSpec[];
}

/** A node of the model tree. */
export type LayerSpec = LeafSpec | BlockSpec;

/** The container types, with what each does, in the order the builder offers them. */
export const BLOCKS: readonly { type: BlockSpec['type']; doc: string }[] = [
  { type: 'Residual', doc: 'x + f(x): its layers, added to its input' },
  { type: 'Repeat', doc: 'its layers as one block, repeated N times (keys name.0., name.1., ...)' },
  { type: 'Sequential', doc: 'its layers in order, as one named module' },
];

/** Every type a spec may name: the registry's layers and the containers. */
export const LAYER_TYPES: readonly string[] = [...LAYERS.map((d) => d.type), ...BLOCKS.map((b) => b.type)];

/** Whether a node is a container. */
export function isBlock(l: LayerSpec): l is BlockSpec {
  return l.type === 'Sequential' || l.type === 'Residual' || l.type === 'Repeat';
}

/** A whole model: a name, one input sample's shape (e.g. [1, 28, 28], or [T] token ids) and its layers. */
export interface ModelSpec {
  name: string;
  inputShape: number[];
  /** 'int32' for token ids; float32 (pixels, features) when absent. */
  inputDtype?: 'int32';
  layers: LayerSpec[];
  /**
   * Weights that are another's tensor, by state-dict key: nanoGPT's weight tying is
   * `{ 'lm_head.weight': 'wte.weight' }`. Both keys stay in the state dict, as in PyTorch.
   */
  tied?: Record<string, string>;
}

/** What shape inference says about one node. */
export interface LayerInfo {
  /** Per-sample output shape (no batch dimension); the input shape when the layer is invalid. */
  outShape: number[];
  /** Trainable parameter count (a container's: all of its copies'). */
  params: number;
  /** Non-trainable state held in the state dict (BatchNorm's running statistics). */
  buffers: number;
  /** Values per sample kept for the backward pass: a layer's output, a container's layers' outputs. */
  activations: number;
  /** Why this node cannot take its input. */
  error?: string;
  /** A container's children (for Repeat: one copy's). */
  children?: LayerInfo[];
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const shown = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** The attribute name of a node: its own, or its index as in nn.Sequential. */
export function layerName(layer: LayerSpec, index: number): string {
  return layer.name ?? String(index);
}

// Names a module attribute cannot take in the exported PyTorch (nn.Module's own attributes,
// nn.Sequential's, which every container is, and Python's keywords): the script would then not
// compile, would call the layer instead of a method, or nn.Sequential would refuse the child.
const RESERVED = new Set(
  `False None True and as assert async await break class continue def del elif else except finally
  for from global if import in is lambda nonlocal not or pass raise return try while with yield case
  match type T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
  cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
  get_submodule half ipu load_state_dict modules mtia named_buffers named_children named_modules
  named_parameters parameters register_backward_hook register_buffer register_forward_hook
  register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook
  register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
  register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
  set_extra_state set_submodule share_memory smart_apply state_dict to to_empty train training
  xpu zero_grad append extend insert pop`.split(/\s+/),
);

// A name or type from a spec as a message quotes it: cut short and JSON-escaped, so a newline or
// NUL in a spec cannot break the message's one line.
const quoted = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);

/** Why a node's name cannot be a PyTorch attribute, or null when it can. */
export function nameError(name: string): string | null {
  if (/^\d+$/.test(name)) return null;
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name))
    return `name ${quoted(name)} must be a Python identifier (a letter, then letters, digits or _) or an index`;
  if (name.length > 64) return `name ${quoted(name)} is longer than 64 characters`;
  if (RESERVED.has(name))
    return `name "${name}" is reserved in PyTorch (a keyword or an nn.Module or nn.Sequential attribute)`;
  return null;
}

/** A node's name as a message shows it: as it is, or quoted when it is not a valid name. */
const shownName = (layer: LayerSpec, index: number) => {
  const name = layerName(layer, index);
  return nameError(name) ? quoted(name) : name;
};

/** A node's type as a message shows it: quoted when it is not one. */
const shownType = (type: string) => (LAYER_TYPES.includes(type) ? type : quoted(type));

function fieldError(f: FieldDef, v: unknown): string | null {
  if (v === undefined) return f.default === undefined && f.none === undefined ? `${f.py} is required` : null;
  if (f.kind === 'bool') return typeof v === 'boolean' ? null : `${f.py} must be true or false`;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${f.py} must be a number`;
  if (f.kind === 'int' && !Number.isInteger(v)) return `${f.py} must be an integer, got ${v}`;
  const low = f.min !== undefined && (f.minExclusive ? v <= f.min : v < f.min);
  const high = f.max !== undefined && (f.maxExclusive ? v >= f.max : v > f.max);
  if (low || high) {
    const lo = f.min === undefined ? '' : `${f.minExclusive ? '>' : '>='} ${f.min}`;
    const hi = f.max === undefined ? '' : `${f.maxExclusive ? '<' : '<='} ${f.max}`;
    return `${f.py} must be ${[lo, hi].filter(Boolean).join(' and ')}, got ${v}`;
  }
  return null;
}

/** A leaf's fields with PyTorch's defaults filled in, or the first field that is wrong. */
export function resolveFields(def: LayerDef, l: LeafSpec): Fields | string {
  const out: Fields = {};
  for (const f of def.fields) {
    const error = fieldError(f, l[f.key]);
    if (error) return error;
    out[f.key] = (l[f.key] as number | boolean | undefined) ?? f.default;
  }
  return out;
}

interface Flow {
  shape: number[];
  dtype: 'float32' | 'int32';
}

function inferLeaf(l: LeafSpec, at: Flow): [LayerInfo, Flow] {
  const fail = (error: string): [LayerInfo, Flow] => [
    { outShape: at.shape, params: 0, buffers: 0, activations: 0, error },
    at,
  ];
  const def = layerDef(l.type);
  if (!def) return fail(`${quoted(l.type)} is not a layer`);
  const fields = resolveFields(def, l);
  if (typeof fields === 'string') return fail(fields);
  if ((def.input ?? 'float32') !== at.dtype) {
    return fail(
      at.dtype === 'int32'
        ? `takes float inputs, but gets token ids (int32): start with an Embedding`
        : 'takes token ids (int32), but gets floats: put it first, on a token input',
    );
  }
  const r = def.infer(fields, at.shape);
  if (typeof r === 'string') return fail(r);
  const info = {
    outShape: r.out,
    params: r.params ?? 0,
    buffers: r.buffers ?? 0,
    activations: prod(r.out) + (r.saved ?? 0),
  };
  return [info, { shape: r.out, dtype: 'float32' }];
}

function inferBlock(b: BlockSpec, at: Flow): [LayerInfo, Flow] {
  const { infos, out } = inferList(b.layers, at);
  const sum = (key: 'params' | 'buffers' | 'activations') => infos.reduce((s, x) => s + x[key], 0);
  const times = b.type === 'Repeat' ? (b.times ?? 0) : 1;
  const info: LayerInfo = {
    outShape: out.shape,
    params: sum('params') * times,
    buffers: sum('buffers') * times,
    activations: sum('activations') * times,
    children: infos,
  };
  const fail = (error: string): [LayerInfo, Flow] => [{ ...info, outShape: at.shape, error }, at];
  if (b.type === 'Repeat' && !(Number.isInteger(b.times) && times >= 1 && times <= 1000))
    return fail('times must be an integer from 1 to 1000');
  if (b.layers.length === 0) return fail('the block has no layers');
  const bad = infos.findIndex((x) => x.error);
  if (bad >= 0) return fail(`its layer ${shownName(b.layers[bad], bad)} is invalid`);
  const same = out.shape.join() === at.shape.join() && out.dtype === at.dtype;
  if (b.type === 'Residual' && !same)
    return fail(
      `its output ${shown(out.shape)} must have its input's shape ${shown(at.shape)} to be added to it`,
    );
  if (b.type === 'Repeat' && times > 1 && !same)
    return fail(
      `its output ${shown(out.shape)} must have its input's shape ${shown(at.shape)} to feed the next copy`,
    );
  // The residual sum is one more output kept for backward.
  if (b.type === 'Residual') info.activations += prod(out.shape);
  return [info, out];
}

function inferList(layers: readonly LayerSpec[], input: Flow): { infos: LayerInfo[]; out: Flow } {
  const infos: LayerInfo[] = [];
  let at = input;
  let broken = false;
  const names = new Set<string>();
  for (const [i, layer] of layers.entries()) {
    if (broken) {
      infos.push({
        outShape: at.shape,
        params: 0,
        buffers: 0,
        activations: 0,
        error: 'after an invalid layer',
      });
      continue;
    }
    const name = layerName(layer, i);
    const clash = names.has(name) ? `name ${quoted(name)} is used twice in one container` : nameError(name);
    names.add(name);
    const [info, next] = clash
      ? [{ outShape: at.shape, params: 0, buffers: 0, activations: 0, error: clash }, at]
      : isBlock(layer)
        ? inferBlock(layer, at)
        : inferLeaf(layer, at);
    infos.push(info);
    if (info.error) broken = true;
    else at = next;
  }
  return { infos, out: at };
}

/** Per-node output shapes, parameter counts and errors; nodes after the first error are left unchecked. */
export function inferShapes(spec: ModelSpec): LayerInfo[] {
  return inferList(spec.layers, { shape: spec.inputShape, dtype: spec.inputDtype ?? 'float32' }).infos;
}

/**
 * The shape of the `weight` a state-dict key names (`lm_head.weight`, `h.0.mlp.c_fc.weight`), for
 * the layers whose weight may be tied (Linear [out, in], Embedding and PositionalEmbedding
 * [num, dim]); null for any other key.
 */
export function weightShape(spec: ModelSpec, key: string): number[] | null {
  const parts = key.split('.');
  if (parts.pop() !== 'weight') return null;
  let layers: readonly LayerSpec[] = spec.layers;
  let node: LayerSpec | undefined;
  for (let i = 0; i < parts.length; i++) {
    node = layers.find((l, j) => layerName(l, j) === parts[i]);
    if (!node) return null;
    if (isBlock(node) && i < parts.length - 1) {
      // A Repeat's copies are numbered: h.0.<child> is the first copy's child.
      if (node.type === 'Repeat') {
        const copy = Number(parts[++i]);
        if (!(Number.isInteger(copy) && copy >= 0 && copy < (node.times ?? 1))) return null;
      }
      layers = node.layers;
    } else if (i < parts.length - 1) return null;
  }
  if (!node || isBlock(node)) return null;
  const n = (k: string) => node![k] as number;
  if (node.type === 'Linear') return [n('outFeatures'), n('inFeatures')];
  if (node.type === 'Embedding' || node.type === 'PositionalEmbedding')
    return [n('numEmbeddings'), n('embeddingDim')];
  return null;
}

/** Why a spec's tied weights cannot share one tensor, or null when they can. */
function tiedError(spec: ModelSpec): string | null {
  for (const [target, source] of Object.entries(spec.tied ?? {})) {
    const [a, b] = [weightShape(spec, target), weightShape(spec, source)];
    const what = (key: string) => `${quoted(key)} is not the weight of a Linear or an embedding in the model`;
    if (!a) return `tied: ${what(target)}`;
    if (!b) return `tied: ${what(source)}`;
    if (target === source || source in (spec.tied ?? {}))
      return `tied: ${quoted(target)} must take the tensor of another weight that is not tied itself`;
    if (a.join() !== b.join())
      return `tied: ${quoted(target)} [${a}] and ${quoted(source)} [${b}] differ in shape`;
  }
  return null;
}

/** The first error in a spec as one line naming the node by its path, or null when the model is valid. */
export function specError(spec: ModelSpec): string | null {
  if (spec.layers.length === 0) return 'the model has no layers';
  const walk = (layers: readonly LayerSpec[], infos: LayerInfo[], path: string): string | null => {
    const i = infos.findIndex((x) => x.error);
    if (i < 0) return null;
    const layer = layers[i];
    const at = `${path}${shownName(layer, i)}`;
    const inner =
      isBlock(layer) && infos[i].children ? walk(layer.layers, infos[i].children!, `${at}.`) : null;
    return inner ?? `layer ${at} (${shownType(layer.type)}): ${infos[i].error}`;
  };
  return walk(spec.layers, inferShapes(spec), '') ?? tiedError(spec);
}

/** The model's per-sample output shape, when it is valid. */
export function outputShape(spec: ModelSpec): number[] | undefined {
  const infos = inferShapes(spec);
  return infos.some((x) => x.error) ? undefined : (infos.at(-1)?.outShape ?? spec.inputShape);
}

/** A node's place in the tree: its index in each container on the way down. */
export type LayerPath = readonly number[];

/**
 * The shape the node at `path` receives (a path one past a container's last child: what a layer
 * appended there would receive), as far as the layers before it are valid.
 */
export function inputShapeAt(spec: ModelSpec, path: LayerPath): number[] {
  let layers: readonly LayerSpec[] = spec.layers;
  let infos = inferShapes(spec);
  let shape = spec.inputShape;
  for (const [depth, index] of path.entries()) {
    if (index > 0) shape = infos[index - 1]?.outShape ?? shape;
    const node = layers[index];
    if (depth === path.length - 1 || !node || !isBlock(node)) break;
    layers = node.layers;
    infos = infos[index]?.children ?? [];
  }
  return shape;
}

/** What a dataset asks of a model: its samples' shape and type, and its labels'. */
export interface DataFit {
  inputShape: number[];
  inputDtype?: 'int32';
  numClasses: number;
  /** A label per position (a token per position: [T]); one per sample ([]) when absent. */
  labelShape?: number[];
}

/**
 * Why a valid spec cannot train on this data (its input is another shape or type, or its output is
 * not one score per class for each label, naming the last layer), or null when it can.
 */
export function dataFitError(spec: ModelSpec, data: DataFit): string | null {
  if (spec.inputShape.join() !== data.inputShape.join()) {
    return `the model takes inputs of shape [${spec.inputShape}], the dataset's samples are [${data.inputShape}]`;
  }
  if ((spec.inputDtype ?? 'float32') !== (data.inputDtype ?? 'float32')) {
    const what = (d?: string) => (d === 'int32' ? 'token ids' : 'float values');
    return `the model takes ${what(spec.inputDtype)}, the dataset's samples are ${what(data.inputDtype)}`;
  }
  const want = [...(data.labelShape ?? []), data.numClasses];
  const out = outputShape(spec) ?? [];
  if (out.join() === want.join()) return null;
  const i = spec.layers.length - 1;
  const last = `${layerName(spec.layers[i], i)}: ${spec.layers[i].type}`;
  if (out.length === want.length && out.slice(0, -1).join() === want.slice(0, -1).join())
    return `the model's last layer (${last}) gives ${out.at(-1)} outputs, the dataset has ${data.numClasses} classes: make it ${data.numClasses} wide`;
  return `the model's last layer (${last}) gives outputs of shape ${shown(out)}, the dataset needs ${shown(want)} (a score per class${want.length > 1 ? ' at each position' : ''})`;
}

/**
 * Values in a valid spec's state dict (parameters and buffers): what a file for it must carry, so a
 * file's spec is checked against its tensors before a model is built from it.
 */
export function countStateValues(spec: ModelSpec): number {
  return inferShapes(spec).reduce((s, x) => s + x.params + x.buffers, 0);
}

/** Total trainable parameters of a valid spec; a tied weight counts once, as PyTorch's parameters() does. */
export function countParameters(spec: ModelSpec): number {
  const shared = Object.keys(spec.tied ?? {}).reduce((s, k) => s + prod(weightShape(spec, k) ?? []), 0);
  return inferShapes(spec).reduce((s, x) => s + x.params, 0) - shared;
}

const MNIST_SHAPE = [1, 28, 28];

/** Ready models for MNIST-sized inputs. SimpleNN is the guide's model, with its attribute names. */
export const PRESETS: Record<string, ModelSpec> = {
  simplenn: {
    name: 'SimpleNN',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc1', inFeatures: 784, outFeatures: 128 },
      { type: 'ReLU', name: 'relu' },
      { type: 'Linear', name: 'fc2', inFeatures: 128, outFeatures: 10 },
    ],
  },
  mlp: {
    name: 'MLP with BatchNorm and Dropout',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 784, outFeatures: 256 },
      { type: 'BatchNorm1d', numFeatures: 256 },
      { type: 'ReLU' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', inFeatures: 256, outFeatures: 128 },
      { type: 'BatchNorm1d', numFeatures: 128 },
      { type: 'ReLU' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', inFeatures: 128, outFeatures: 10 },
    ],
  },
  lenet: {
    name: 'LeNet-5',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Conv2d', inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Conv2d', inChannels: 6, outChannels: 16, kernelSize: 5 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 400, outFeatures: 120 },
      { type: 'ReLU' },
      { type: 'Linear', inFeatures: 120, outFeatures: 84 },
      { type: 'ReLU' },
      { type: 'Linear', inFeatures: 84, outFeatures: 10 },
    ],
  },
  cnn: {
    name: 'CNN with BatchNorm',
    inputShape: MNIST_SHAPE,
    layers: [
      { type: 'Conv2d', inChannels: 1, outChannels: 16, kernelSize: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', numFeatures: 16 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Conv2d', inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', numFeatures: 32 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: 2 },
      { type: 'Flatten' },
      { type: 'Dropout', p: 0.25 },
      { type: 'Linear', inFeatures: 1568, outFeatures: 128 },
      { type: 'ReLU' },
      { type: 'Linear', inFeatures: 128, outFeatures: 10 },
    ],
  },
};

/**
 * A transformer over the image's 28 rows as a sequence of 28 tokens (a pre-LN block as nanoGPT's,
 * repeated twice): what the layer tree, attention and LayerNorm are for, on data Kiln bundles.
 */
PRESETS.transformer = {
  name: 'Transformer on image rows',
  inputShape: MNIST_SHAPE,
  layers: [
    { type: 'Flatten', name: 'rows', startDim: 1, endDim: 2 },
    { type: 'Linear', name: 'embed', inFeatures: 28, outFeatures: 64 },
    { type: 'PositionalEmbedding', name: 'wpe', numEmbeddings: 28, embeddingDim: 64 },
    {
      type: 'Repeat',
      name: 'h',
      times: 2,
      layers: [
        {
          type: 'Residual',
          name: 'attn_block',
          layers: [
            { type: 'LayerNorm', name: 'ln_1', normalizedShape: 64 },
            { type: 'CausalSelfAttention', name: 'attn', embedDim: 64, numHeads: 4 },
          ],
        },
        {
          type: 'Residual',
          name: 'mlp_block',
          layers: [
            { type: 'LayerNorm', name: 'ln_2', normalizedShape: 64 },
            { type: 'Linear', name: 'c_fc', inFeatures: 64, outFeatures: 256 },
            { type: 'GELU', name: 'gelu' },
            { type: 'Linear', name: 'c_proj', inFeatures: 256, outFeatures: 64 },
          ],
        },
      ],
    },
    { type: 'LayerNorm', name: 'ln_f', normalizedShape: 64 },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Linear', name: 'head', inFeatures: 1792, outFeatures: 10 },
  ],
};

/** The sizes of a text model preset (nanoGPT's names in camelCase). */
export interface TextModelOptions {
  /** Characters in the vocabulary: the embedding's rows and the scores per position. */
  vocabSize: number;
  /** Characters of context: the input's length (a GPT's block_size, an MLP's n). */
  blockSize: number;
  /** Transformer blocks (a GPT's). */
  nLayer?: number;
  /** Attention heads per block; must divide nEmbd. */
  nHead?: number;
  /** Width of the embeddings and the residual stream (a GPT's; an MLP's embedding size). */
  nEmbd?: number;
  /** Dropout after the embeddings, in attention and after each block's projections. */
  dropout?: number;
  /** The GPT's lm_head takes wte's weight (nanoGPT's weight tying). */
  tie?: boolean;
}

/** A GPT's sizes when not given: small enough to train in a browser tab on a laptop's GPU. */
export const GPT_DEFAULTS = { nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, tie: false } as const;

/**
 * Language-model presets for a character vocabulary; each takes ids [block_size]. A bigram and the
 * GPT score the next character at every position ([T, V], labels [T]); the MLP scores the
 * character after its window only ([V], one label).
 */
export const TEXT_PRESETS: Record<string, (o: TextModelOptions) => ModelSpec> = {
  /** The baseline: each character's row of scores for the next one, nothing else (makemore's bigram). */
  bigram: ({ vocabSize: V, blockSize: T }) => ({
    name: 'Bigram',
    inputShape: [T],
    inputDtype: 'int32',
    layers: [{ type: 'Embedding', name: 'logits', numEmbeddings: V, embeddingDim: V }],
  }),
  /**
   * Bengio et al. (2003): the previous n = block_size characters' embeddings concatenated, a tanh
   * hidden layer, scores for the next character. It predicts once per window, after its last
   * character (its labels are that character, one per sample), not at every position: a position
   * near the window's start would have fewer than n characters to concatenate, and padding them
   * would need a layer Kiln does not have. Its validation still scores every character of the
   * validation text once (after each window of n, at every offset).
   */
  mlp: ({ vocabSize: V, blockSize: T, nEmbd = 24, dropout = 0 }) => ({
    name: 'MLP language model (Bengio 2003)',
    inputShape: [T],
    inputDtype: 'int32',
    layers: [
      { type: 'Embedding', name: 'wte', numEmbeddings: V, embeddingDim: nEmbd },
      { type: 'Flatten', name: 'concat' },
      { type: 'Linear', name: 'hidden', inFeatures: T * nEmbd, outFeatures: 4 * nEmbd },
      { type: 'Tanh', name: 'tanh' },
      { type: 'Dropout', name: 'drop', p: dropout },
      { type: 'Linear', name: 'lm_head', inFeatures: 4 * nEmbd, outFeatures: V },
    ],
  }),
  /**
   * nanoGPT's GPT: token and position embeddings, n_layer pre-LN blocks (x + attn(ln_1(x)), then
   * x + mlp(ln_2(x)) with a 4x GELU MLP), a final LayerNorm and lm_head without bias; with `tie`,
   * lm_head's weight is wte's (nanoGPT's weight tying).
   */
  gpt: ({ vocabSize: V, blockSize: T, ...o }) => {
    const { nLayer, nHead, nEmbd: C, dropout: p, tie } = { ...GPT_DEFAULTS, ...o };
    return {
      name: 'GPT',
      ...(tie ? { tied: { 'lm_head.weight': 'wte.weight' } } : {}),
      inputShape: [T],
      inputDtype: 'int32',
      layers: [
        { type: 'Embedding', name: 'wte', numEmbeddings: V, embeddingDim: C },
        { type: 'PositionalEmbedding', name: 'wpe', numEmbeddings: T, embeddingDim: C },
        { type: 'Dropout', name: 'drop', p },
        {
          type: 'Repeat',
          name: 'h',
          times: nLayer,
          layers: [
            {
              type: 'Residual',
              name: 'attn_block',
              layers: [
                { type: 'LayerNorm', name: 'ln_1', normalizedShape: C },
                { type: 'CausalSelfAttention', name: 'attn', embedDim: C, numHeads: nHead, dropout: p },
              ],
            },
            {
              type: 'Residual',
              name: 'mlp_block',
              layers: [
                { type: 'LayerNorm', name: 'ln_2', normalizedShape: C },
                { type: 'Linear', name: 'c_fc', inFeatures: C, outFeatures: 4 * C },
                { type: 'GELU', name: 'gelu' },
                { type: 'Linear', name: 'c_proj', inFeatures: 4 * C, outFeatures: C },
                { type: 'Dropout', name: 'dropout', p },
              ],
            },
          ],
        },
        { type: 'LayerNorm', name: 'ln_f', normalizedShape: C },
        { type: 'Linear', name: 'lm_head', inFeatures: C, outFeatures: V, bias: false },
      ],
    };
  },
};

/**
 * What a text model trains to predict: the next character at every position when it scores every
 * position ([T, V]: a GPT, a bigram), the character after its window when it scores once ([V]: the
 * MLP language model).
 */
export function textTarget(spec: ModelSpec): 'every' | 'next' {
  return outputShape(spec)?.length === 1 ? 'next' : 'every';
}

const BLOCK_TOKENS: Record<string, BlockSpec['type']> = {
  residual: 'Residual',
  repeat: 'Repeat',
  seq: 'Sequential',
};

/** How a layer's token is written: its positional arguments, optional ones in brackets. */
function usage(def: LayerDef): string {
  const args = def.cli.args.map((k) => def.fields.find((f) => f.key === k)!);
  // Fields the input's shape fills (PositionalEmbedding's block size) may be left out too.
  const fitted = Object.keys(def.fit?.([1]) ?? {});
  const required = args.filter(
    (f) => f.default === undefined && f.none === undefined && !fitted.includes(f.key),
  );
  const optional = args.slice(required.length);
  const upper = (f: FieldDef) => `:${f.py.toUpperCase()}`;
  const tail = optional.reduceRight((s, f) => `[${upper(f)}${s}]`, '');
  return `${def.cli.tokens[0]}${required.map(upper).join('')}${tail}`;
}

/** The layer grammar of parseSpec, as the CLI's --help shows it, generated from the registry. */
export const SPEC_GRAMMAR = [
  'layers, comma-separated; sizes that follow from the input (in_features, in_channels,',
  "num_features...) are inferred; NAME=layer names a layer (its state-dict prefix); PyTorch's defaults",
  'fill the arguments left out:',
  ...LAYERS.filter((d, i) => LAYERS.findIndex((e) => e.cli.tokens[0] === d.cli.tokens[0]) === i).map((d) => {
    const same = LAYERS.filter((e) => e.cli.tokens[0] === d.cli.tokens[0]).map((e) => e.type);
    const head = `  ${usage(d)}`;
    const text = `${same.join(' or ')}: ${d.doc}`;
    return head.length < 39 ? `${head.padEnd(39)}${text}` : `${head}\n${''.padEnd(39)}${text}`;
  }),
  'blocks, which nest:',
  '  residual(LAYERS)                     x + f(x): LAYERS added to their input',
  '  repeat:N(LAYERS)                     LAYERS as one block, N copies in a row (keys NAME.0., NAME.1., ...)',
  '  seq(LAYERS)                          LAYERS as one module (give it a NAME)',
].join('\n');

/**
 * Parses a layer list such as `flatten,fc1=linear:128,relu,dropout:0.2,linear:10`, or with blocks
 * `flatten:1:2,linear:64,h=repeat:2(residual(layernorm,attn:4),residual(layernorm,linear:256,gelu,linear:64)),flatten,linear:10`
 * (the CLI's --model), in SPEC_GRAMMAR. Sizes that follow from the input are taken from the shapes.
 */
export function parseSpec(
  text: string,
  inputShape: number[],
  name = 'custom',
  inputDtype?: 'int32',
): ModelSpec {
  let pos = 0;
  const fail = (message: string): never => {
    throw new Error(message);
  };
  // Reads nodes until `)` or the end into `into`, each checked against the flow of shapes so far.
  const list = (into: LayerSpec[], at: Flow, path: string, depth: number): Flow => {
    while (pos < text.length && text[pos] !== ')') {
      const start = pos;
      while (pos < text.length && !',()'.includes(text[pos])) pos++;
      const head = text.slice(start, pos).trim();
      if (!head && text[pos] === ',') {
        pos++;
        continue;
      }
      const where = `layer ${path}${into.length} ${quoted(head)}`;
      const [, given, token] = head.match(/^(?:([^=]*)=)?(.*)$/)!;
      const [kind, ...rawArgs] = token.trim().split(':');
      const block = BLOCK_TOKENS[kind.toLowerCase()];
      let node: LayerSpec;
      if (block) {
        if (text[pos] !== '(') fail(`${where}: expected ${kind}(LAYERS)`);
        if (depth >= 16) fail(`${where}: blocks nest deeper than 16`);
        pos++;
        const times = Number(rawArgs[0]);
        if (block === 'Repeat' && !(Number.isInteger(times) && times >= 1))
          fail(`${where}: expected repeat:N(LAYERS) with N a positive integer`);
        node = { type: block, ...(block === 'Repeat' ? { times } : {}), layers: [] };
        if (given?.trim()) node.name = given.trim();
        list(node.layers, at, `${path}${layerName(node, into.length)}.`, depth + 1);
        if (text[pos] !== ')') fail(`${where}: a "(" is not closed`);
        pos++;
      } else {
        if (text[pos] === '(') fail(`${where}: only residual, repeat and seq take (LAYERS)`);
        if (!kind) fail(`${where}: empty layer`);
        node = leafFromToken(kind, rawArgs, at.shape, where);
        if (given?.trim()) node.name = given.trim();
      }
      const [info, next] = isBlock(node) ? inferBlock(node, at) : inferLeaf(node, at);
      const clash = into.some((l, i) => layerName(l, i) === layerName(node, into.length));
      const error = clash
        ? `name ${quoted(layerName(node, into.length))} is used twice in one container`
        : (nameError(layerName(node, into.length)) ?? info.error);
      if (error) fail(`${where}: ${error}`);
      into.push(node);
      at = next;
      if (text[pos] === ',') pos++;
    }
    return at;
  };
  const spec: ModelSpec = { name, inputShape, ...(inputDtype ? { inputDtype } : {}), layers: [] };
  list(spec.layers, { shape: inputShape, dtype: inputDtype ?? 'float32' }, '', 0);
  if (pos < text.length) fail(`unexpected ")" at character ${pos + 1}`);
  const error = specError(spec);
  if (error) fail(error);
  return spec;
}

function leafFromToken(kind: string, rawArgs: string[], shape: number[], where: string): LeafSpec {
  const k = kind.toLowerCase();
  const defs = LAYERS.filter((d) => d.cli.tokens.includes(k));
  const def = defs.find((d) => !d.cli.when || d.cli.when(shape)) ?? defs[0];
  if (!def) {
    const known = [...new Set(LAYERS.map((d) => d.cli.tokens[0])), ...Object.keys(BLOCK_TOKENS)];
    throw new Error(`${where}: unknown layer "${kind}" (known: ${known.join(', ')})`);
  }
  const args = rawArgs.map(Number);
  if (args.some((a) => Number.isNaN(a)) || rawArgs.some((a) => a.trim() === ''))
    throw new Error(`${where}: arguments must be numbers`);
  if (args.length > def.cli.args.length) throw new Error(`${where}: expected ${usage(def)}`);
  const leaf: LeafSpec = { type: def.type, ...def.fit?.(shape) };
  for (const [i, key] of def.cli.args.entries()) {
    const f = def.fields.find((x) => x.key === key)!;
    if (i < args.length) leaf[key] = args[i];
    else if (f.default === undefined && f.none === undefined && leaf[key] === undefined)
      throw new Error(`${where}: expected ${usage(def)}`);
  }
  return leaf;
}

/** A new node of `type` that takes `inShape` where it can: fitted fields, PyTorch's defaults, examples. */
export function newLayer(type: string, inShape: number[]): LayerSpec {
  if (type === 'Residual' || type === 'Sequential') return { type, layers: [] };
  if (type === 'Repeat') return { type, times: 2, layers: [] };
  const def = layerDef(type);
  if (!def) throw new Error(`"${type}" is not a layer`);
  const leaf: LeafSpec = { type };
  for (const f of def.fields) if (f.default === undefined && f.example !== undefined) leaf[f.key] = f.example;
  Object.assign(leaf, def.fit?.(inShape));
  return leaf;
}
