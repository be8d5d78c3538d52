/**
 * A look inside a held model for one image: each layer's output (its feature maps) and the weights
 * that read the image directly (the first Conv2d's filters, or for a model without convolutions the
 * first Linear's rows as images); or, for a language model and a prompt, each attention head's
 * pattern and the next-character probabilities at each position. Plain typed arrays come out, for
 * the page to draw.
 */

import { type Backend, F, ops, type Tensor } from 'kiln';
import { SampleError } from 'kiln/config';
import { decode } from 'kiln/data';
import { CausalSelfAttention, Conv2d, Linear, type Module } from 'kiln/nn';
import type { ModelSpec } from 'kiln/spec';
import { encode, evaluating, languageModel, modelBackend } from 'kiln/train';

/** Channels of a layer's output sent at most: enough to see what a layer does, small to post. */
export const MAX_CHANNELS = 32;
/** Filters (or Linear rows) sent at most. */
export const MAX_FILTERS = 128;

/** One layer's output for the image; a [C, H, W] output keeps only its first `values.length / (H * W)` channels. */
export interface LayerOutput {
  /** Its attribute name, as in PyTorch's state dict (`conv1`, `fc1`, or `0`, `1`… in a Sequential). */
  name: string;
  /** Its class name (Conv2d, ReLU…), from the spec: a minifier renames the classes themselves. */
  type: string;
  /** The whole per-sample output shape, without the batch dimension. */
  shape: number[];
  values: Float32Array;
}

/** Weights drawn as images: `shape` is [filters, channels, height, width]. */
export interface WeightImages {
  /** The state-dict key they come from (`conv1.weight`). */
  name: string;
  /** The parameter's own shape (e.g. [128, 784] for a Linear, [16, 1, 3, 3] for a Conv2d). */
  weightShape: number[];
  /** How the values are laid out as images: [filters sent, channels, height, width]. */
  shape: number[];
  values: Float32Array;
}

/** What a model does with one image. */
export interface Inspection {
  weights: WeightImages | null;
  layers: LayerOutput[];
}

/** What inspect needs of a held run: its model, spec and the input normalisation it trained with. */
export interface Inspectable {
  spec: ModelSpec;
  model: Module;
  mean: number;
  std: number;
}

/**
 * `pixels` (in [0, 1], row-major, the spec's input shape) as a batch of one, normalised as the run
 * trained; an image of another size is refused in one line.
 */
export function imageInput(backend: Backend, run: Inspectable, pixels: Float32Array): Tensor {
  const size = run.spec.inputShape.reduce((a, b) => a * b, 1);
  if (pixels.length !== size)
    throw new Error(
      `the image has ${pixels.length} values, the model takes inputs of shape [${run.spec.inputShape}]`,
    );
  const normalized = pixels.map((v) => (v - run.mean) / run.std);
  return ops.tensor(backend, normalized, [1, ...run.spec.inputShape]);
}

/**
 * Runs `pixels` (in [0, 1], the spec's input shape) through the model layer by layer in eval mode,
 * without gradients, and reads back every layer's output and the first weights; no tensor outlives
 * the call.
 */
export async function inspect(backend: Backend, run: Inspectable, pixels: Float32Array): Promise<Inspection> {
  const { model, spec } = run;
  const children = [...model.namedChildren()];
  const outputs = evaluating(model, () => {
    let y = imageInput(backend, run, pixels);
    // Unfused, unlike SpecModel.forward: each layer's own output is what is shown.
    return children.map(([, layer]) => {
      y = layer.forward(y);
      return y;
    });
  });
  try {
    const [values, weights] = await Promise.all([
      Promise.all(outputs.map((t) => t.data())),
      firstWeights(children, spec.inputShape),
    ]);
    const layers = children.map(([name], i): LayerOutput => {
      const shape = outputs[i].shape.slice(1);
      const plane = shape.length === 3 ? shape[1] * shape[2] : values[i].length;
      const kept = shape.length === 3 ? Math.min(shape[0], MAX_CHANNELS) * plane : plane;
      return {
        name,
        type: spec.layers[i].type,
        shape,
        values: Float32Array.from(values[i].subarray(0, kept)),
      };
    });
    return { weights, layers };
  } finally {
    for (const t of outputs) t.dispose();
  }
}

/** The first Conv2d's filters, else the first Linear's rows when they read the whole input image. */
async function firstWeights(
  children: [string, Module][],
  inputShape: number[],
): Promise<WeightImages | null> {
  const conv = children.find(([, m]) => m instanceof Conv2d);
  if (conv) {
    const w = (conv[1] as Conv2d).weight;
    return weightImages(`${conv[0]}.weight`, w, w.shape.slice(1));
  }
  const fc = children.find(([, m]) => m instanceof Linear);
  const [c, h, w] = inputShape;
  if (!fc || inputShape.length !== 3) return null;
  const weight = (fc[1] as Linear).weight;
  return weight.shape[1] === c * h * w ? weightImages(`${fc[0]}.weight`, weight, [c, h, w]) : null;
}

/** Reads a weight back as at most MAX_FILTERS images of `imageShape` ([channels, height, width]). */
async function weightImages(name: string, weight: Tensor, imageShape: number[]): Promise<WeightImages> {
  const all = (await weight.data()) as Float32Array;
  const filters = Math.min(weight.shape[0], MAX_FILTERS);
  const size = imageShape.reduce((a, b) => a * b, 1);
  return {
    name,
    weightShape: [...weight.shape],
    shape: [filters, ...imageShape],
    values: all.slice(0, filters * size),
  };
}

/** Next characters shown per position: the likeliest ones, enough to see what the model weighs. */
export const TOP_NEXT = 10;

/** One CausalSelfAttention's weights for the prompt: row t is how much position t reads from each 0..t. */
export interface AttentionPattern {
  /** Its module's name in the state dict (`h.0.attn`). */
  name: string;
  heads: number;
  /** Positions (the context's length): values is [heads, size, size], zeros above the diagonal. */
  size: number;
  values: Float32Array;
}

/** The likeliest characters after one position, best first, with their probabilities. */
export interface NextChars {
  /** The characters, one per probability (vocab units, as the vocabulary counts them). */
  chars: string[];
  probs: number[];
}

/** A look inside a language model for one prompt. */
export interface TextInspection {
  /** The characters the model read: the prompt's last block_size. */
  context: string;
  /** Each attention module's weights, in model order. */
  attention: AttentionPattern[];
  /**
   * For each position of the context, the next character's likeliest values; a model that scores
   * only the next character after a full window ([V] out) gives one entry, for the last position.
   */
  next: NextChars[];
}

/** What inspectText needs of a held run: its model and spec, and the vocabulary it reads. */
export interface TextInspectable {
  spec: ModelSpec;
  model: Module;
  vocab: string;
}

/**
 * Runs the prompt's last block_size characters through a language model in eval mode, without
 * gradients, and reads back every attention module's softmax weights (through its weights hook)
 * and the next-character probabilities at each position; no tensor outlives the call.
 */
export async function inspectText(run: TextInspectable, prompt: string): Promise<TextInspection> {
  const { model, spec, vocab } = run;
  const lm = languageModel(spec, vocab);
  const ids = encode(vocab, prompt).slice(-lm.blockSize);
  if (ids.length === 0) throw new SampleError('prompt', 'the prompt is empty: give at least one character');
  if (!lm.everyPosition && ids.length < lm.blockSize) {
    throw new SampleError(
      'prompt',
      `${spec.name} reads exactly ${lm.blockSize} characters: the prompt has ${ids.length}`,
    );
  }
  const backend = modelBackend(model);
  const attention = [...model.namedModules()].filter(
    (e): e is [string, CausalSelfAttention] => e[1] instanceof CausalSelfAttention,
  );
  const [probs, ...weights] = evaluating(model, () => {
    const seen: Tensor[] = [];
    const hooks = attention.map(([, m]) => m.registerWeightsHook((_, w) => seen.push(w)));
    try {
      const logits = model.forward(ops.tensor(backend, Int32Array.from(ids), [1, ids.length]));
      return [F.softmax(logits), ...seen];
    } finally {
      for (const h of hooks) h.remove();
    }
  });
  try {
    const [p, ...w] = await Promise.all([probs, ...weights].map((t) => t.data() as Promise<Float32Array>));
    const V = lm.vocabSize;
    const next = Array.from({ length: p.length / V }, (_, t) =>
      topNext(p.subarray(t * V, (t + 1) * V), vocab),
    );
    return {
      context: decode(ids, vocab),
      attention: attention.map(([name, m], i) => ({
        name,
        heads: m.numHeads,
        size: ids.length,
        values: w[i],
      })),
      next,
    };
  } finally {
    for (const t of [probs, ...weights]) t.dispose();
  }
}

/** The TOP_NEXT likeliest characters of one probability row, best first. */
function topNext(p: Float32Array, vocab: string): NextChars {
  const order = Array.from(p.keys())
    .sort((a, b) => p[b] - p[a])
    .slice(0, TOP_NEXT);
  return { chars: Array.from(decode(order, vocab)), probs: order.map((i) => p[i]) };
}
