/** The model being built: a ModelSpec (a tree of layers and blocks) edited through small named actions. */
import type { StateCreator } from 'zustand';
import {
  inferShapes,
  inputShapeAt,
  isBlock,
  type LayerPath,
  type LayerSpec,
  type ModelSpec,
  newLayer,
  PRESETS,
} from '../../nn/spec';
import { fitToData } from '../data/fitModel';
import type { KilnState } from './index';

/** The preset the builder opens with: the PyTorch guide's SimpleNN. */
export const INITIAL_PRESET = 'simplenn';

/** The builder slice. Layers are addressed by their path in the tree ([2] top level, [2, 0] inside block 2). */
export interface BuilderSlice {
  spec: ModelSpec;
  /** The preset the stack started from. */
  presetKey: string;
  /** Whether the stack has changed since the preset was loaded. */
  edited: boolean;
  loadPreset: (key: string) => void;
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
  return {
    spec: copyPreset(INITIAL_PRESET),
    presetKey: INITIAL_PRESET,
    edited: false,
    loadPreset: (key) => {
      // A preset is written for MNIST: an MLP's input and output follow the loaded data.
      if (key in PRESETS)
        set({ spec: fitToData(copyPreset(key), get().dataset.info), presetKey: key, edited: false });
    },
    loadSpec: (spec) => {
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
