/**
 * `kiln/spec`: models as data. A ModelSpec is a tree of registry layers (PyTorch's class names and
 * arguments) and blocks; shape inference, parameter counts, the presets, the `--model` grammar and
 * the layer registry. Loads no tensor code: a page's model builder reads it on the main thread;
 * `buildModel` (`kiln/nn`) turns a spec into modules.
 *
 * @module kiln/spec
 */
export {
  type FieldDef,
  type Fields,
  type Inferred,
  LAYERS,
  type LayerDef,
  layerDef,
} from '../nn/layers';
export {
  BLOCKS,
  type BlockSpec,
  countParameters,
  countStateValues,
  type DataFit,
  dataFitError,
  GPT_DEFAULTS,
  inferShapes,
  inputShapeAt,
  isBlock,
  LAYER_TYPES,
  type LayerInfo,
  type LayerPath,
  type LayerSpec,
  type LeafSpec,
  layerName,
  type ModelSpec,
  newLayer,
  outputShape,
  PRESETS,
  parseSpec,
  SPEC_GRAMMAR,
  specError,
  TEXT_PRESETS,
  type TextModelOptions,
  textTarget,
} from '../nn/spec';
export { modelSpec, modelSpecDraft } from '../nn/spec_read';
