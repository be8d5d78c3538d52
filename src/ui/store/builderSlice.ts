/** The model being built: a ModelSpec (a tree of layers and blocks) edited through small named actions. */

import {
  GPT_DEFAULTS,
  inferShapes,
  inputShapeAt,
  isBlock,
  type LayerPath,
  type LayerSpec,
  type ModelSpec,
  newLayer,
  PRESETS,
  TEXT_PRESETS,
  type TextModelOptions,
} from 'kiln/spec';
import type { StateCreator } from 'zustand';
import { fitToData } from '../data/fitModel';
import type { KilnState } from './index';

/** The preset the builder opens with: the PyTorch guide's SimpleNN. */
export const INITIAL_PRESET = 'simplenn';

/**
 * A text preset's sizes in the builder (its vocabulary comes from the data, its block size from the
 * config); weight tying stays the preset's default (untied).
 */
export type TextSizes = Required<Omit<TextModelOptions, 'vocabSize' | 'blockSize'>>;

/** The presetKey of a text preset: `text:` and its TEXT_PRESETS key (`text:gpt`). */
export const textPresetKey = (key: string) => `text:${key}`;

/** The TEXT_PRESETS key of a builder presetKey, or null for an image or table preset. */
export const textPresetOf = (presetKey: string): string | null =>
  presetKey.startsWith('text:') && presetKey.slice(5) in TEXT_PRESETS ? presetKey.slice(5) : null;

/** The builder slice. Layers are addressed by their path in the tree ([2] top level, [2, 0] inside block 2). */
export interface BuilderSlice {
  spec: ModelSpec;
  /** The preset the stack started from. */
  presetKey: string;
  /** Whether the stack has changed since the preset was loaded. */
  edited: boolean;
  /** A preset by key: an image one (PRESETS) or a text one (`text:gpt`) sized by textSizes, the vocabulary and the block size. */
  loadPreset: (key: string) => void;
  /** The sizes the text presets are built with (nanoGPT's n_layer, n_head, n_embd, dropout), and the GPT's weight tying. */
  textSizes: TextSizes;
  /** Changes text sizes (and the config's block size), rebuilding the text preset in the builder. */
  setTextSizes: (patch: Partial<TextSizes> & { blockSize?: number }) => void;
  /** Puts a run's model in the builder, to train it anew or edit it. */
  loadSpec: (spec: ModelSpec) => void;
  /** Appends a layer or block, sized for the shape it receives, to the model or to the block at `parent`. */
  addLayer: (type: string, parent?: LayerPath) => void;
  removeLayer: (path: LayerPath) => void;
  /** Swaps a node with its neighbour in its container; `delta` is -1 (up) or +1 (down). */
  moveLayer: (path: LayerPath, delta: -1 | 1) => void;
  /** Replaces a node (a block keeps the layers it is given). */
  updateLayer: (path: LayerPath, layer: LayerSpec) => void;
}

// Presets are shared constants: the builder edits deep copies so the originals stay pristine.
const copyPreset = (key: string): ModelSpec => structuredClone(PRESETS[key]);

/** The layers with the container at `parent` changed by `f` (copies along the path, the rest shared). */
function editAt(
  layers: LayerSpec[],
  parent: LayerPath,
  f: (siblings: LayerSpec[]) => LayerSpec[],
): LayerSpec[] {
  if (parent.length === 0) return f([...layers]);
  const [head, ...rest] = parent;
  return layers.map((l, i) => (i === head && isBlock(l) ? { ...l, layers: editAt(l.layers, rest, f) } : l));
}

/** Creates the builder slice. */
export const createBuilderSlice: StateCreator<KilnState, [], [], BuilderSlice> = (set, get) => {
  const edit = (path: LayerPath, f: (siblings: LayerSpec[], index: number, spec: ModelSpec) => LayerSpec[]) =>
    set(({ spec }) => ({
      spec: {
        ...spec,
        layers: editAt(spec.layers, path.slice(0, -1), (s) => f(s, path[path.length - 1], spec)),
      },
      edited: true,
    }));
  /** The text preset `key` for the loaded text, or null when no text is loaded. */
  const textSpec = (key: string, sizes: TextSizes): ModelSpec | null => {
    const { info } = get().dataset;
    if (!info?.text) return null;
    return TEXT_PRESETS[key]({ vocabSize: info.numClasses, blockSize: get().config.blockSize, ...sizes });
  };
  return {
    spec: copyPreset(INITIAL_PRESET),
    presetKey: INITIAL_PRESET,
    edited: false,
    textSizes: {
      nLayer: GPT_DEFAULTS.nLayer,
      nHead: GPT_DEFAULTS.nHead,
      nEmbd: GPT_DEFAULTS.nEmbd,
      dropout: GPT_DEFAULTS.dropout,
      tie: GPT_DEFAULTS.tie,
    },
    loadPreset: (key) => {
      const text = textPresetOf(key);
      const spec = text && textSpec(text, get().textSizes);
      if (spec) set({ spec, presetKey: key, edited: false });
      // A preset is written for MNIST: an MLP's input and output follow the loaded data.
      else if (key in PRESETS)
        set({ spec: fitToData(copyPreset(key), get().dataset.info), presetKey: key, edited: false });
    },
    setTextSizes: ({ blockSize, ...patch }) => {
      if (blockSize !== undefined) get().setConfig({ blockSize });
      const textSizes = { ...get().textSizes, ...patch };
      set({ textSizes });
      const text = textPresetOf(get().presetKey);
      const spec = text && textSpec(text, textSizes);
      if (spec) set({ spec, edited: false });
    },
    loadSpec: (spec) => {
      // A language model is kept as it is: its sizes are in its layers, not in a preset's fields.
      if (spec.inputDtype === 'int32') return set({ spec: structuredClone(spec), edited: true });
      const key = Object.keys(PRESETS).find((k) => PRESETS[k].name === spec.name);
      // A preset fitted to other data (an MLP's input and output widths) is still that preset.
      const shape = { inputShape: spec.inputShape, numClasses: inferShapes(spec).at(-1)?.outShape[0] ?? 0 };
      const edited = !key || JSON.stringify(fitToData(PRESETS[key], shape)) !== JSON.stringify(spec);
      set({ spec: structuredClone(spec), presetKey: key ?? INITIAL_PRESET, edited });
    },
    addLayer: (type, parent = []) =>
      set(({ spec }) => {
        const siblings = parent.reduce<LayerSpec[]>((ls, i) => {
          const node = ls[i];
          return node && isBlock(node) ? node.layers : [];
        }, spec.layers);
        const layer = newLayer(type, inputShapeAt(spec, [...parent, siblings.length]));
        return { spec: { ...spec, layers: editAt(spec.layers, parent, (s) => [...s, layer]) }, edited: true };
      }),
    removeLayer: (path) => edit(path, (s, index) => s.filter((_, i) => i !== index)),
    moveLayer: (path, delta) =>
      edit(path, (s, index) => {
        const j = index + delta;
        if (j < 0 || j >= s.length) return s;
        [s[index], s[j]] = [s[j], s[index]];
        return s;
      }),
    updateLayer: (path, layer) => edit(path, (s, index) => s.map((l, i) => (i === index ? layer : l))),
  };
};
