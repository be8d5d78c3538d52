/** The model being built: a ModelSpec edited through small named actions. */
import type { StateCreator } from 'zustand';
import { inferShapes, type LayerSpec, type ModelSpec, PRESETS } from '../../nn/spec';
import { defaultLayer } from '../builder/layerDefaults';
import { fitToData } from '../data/fitModel';
import type { KilnState } from './index';

/** The preset the builder opens with: the PyTorch guide's SimpleNN. */
export const INITIAL_PRESET = 'simplenn';

/** The builder slice. */
export interface BuilderSlice {
  spec: ModelSpec;
  /** The preset the stack started from. */
  presetKey: string;
  /** Whether the stack has changed since the preset was loaded. */
  edited: boolean;
  loadPreset: (key: string) => void;
  /** Puts a run's model in the builder, to train it anew or edit it. */
  loadSpec: (spec: ModelSpec) => void;
  /** Appends a layer sized for the current output shape. */
  addLayer: (type: LayerSpec['type']) => void;
  removeLayer: (index: number) => void;
  /** Swaps a layer with its neighbour; `delta` is -1 (up) or +1 (down). */
  moveLayer: (index: number, delta: -1 | 1) => void;
  /** Replaces a layer's parameters. */
  updateLayer: (index: number, layer: LayerSpec) => void;
}

// Presets are shared constants: the builder edits deep copies so the originals stay pristine.
const copyPreset = (key: string): ModelSpec => structuredClone(PRESETS[key]);

/** Creates the builder slice. */
export const createBuilderSlice: StateCreator<KilnState, [], [], BuilderSlice> = (set, get) => {
  const edit = (f: (layers: LayerSpec[], spec: ModelSpec) => LayerSpec[]) =>
    set(({ spec }) => ({ spec: { ...spec, layers: f([...spec.layers], spec) }, edited: true }));
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
    addLayer: (type) =>
      edit((layers, spec) => {
        const infos = inferShapes(spec);
        const inShape = infos.length ? infos[infos.length - 1].outShape : spec.inputShape;
        return [...layers, defaultLayer(type, inShape)];
      }),
    removeLayer: (index) => edit((layers) => layers.filter((_, i) => i !== index)),
    moveLayer: (index, delta) =>
      edit((layers) => {
        const j = index + delta;
        if (j < 0 || j >= layers.length) return layers;
        [layers[index], layers[j]] = [layers[j], layers[index]];
        return layers;
      }),
    updateLayer: (index, layer) => edit((layers) => layers.map((l, i) => (i === index ? layer : l))),
  };
};
