/**
 * The one reader of a model spec from untrusted JSON (a share link, a checkpoint's or a state
 * dict's metadata, a worker message, a stored run): the tree's structure and every field's type
 * come from the layer registry (a LeakyReLU slope is a number, an unknown layer or field is named
 * with a suggestion), then specError decides what ranges and shapes decide, in its own words.
 */
import {
  array,
  boolean,
  type Fields,
  lazy,
  map,
  number,
  object,
  oneOf,
  optional,
  record,
  type Schema,
  string,
  tagged,
} from '../schema';
import { type FieldDef, LAYERS } from './layers';
import { BLOCKS, type LayerSpec, type ModelSpec, specError } from './spec';

/** Most nodes one container may hold: far more than a browser trains, few enough to check at once. */
const MAX_LAYERS = 1000;

// One line in every refusal: nameError (through specError) then rules out PyTorch's reserved names.
const name = optional(
  string(64, { pattern: /^([A-Za-z][A-Za-z0-9_]*|\d+)$/, what: 'a Python identifier or an index' }),
);

/** A registry field's type; its range is the registry's to check (specError names it). */
function field(f: FieldDef): Schema<unknown> {
  const type: Schema<unknown> =
    f.kind === 'bool' ? boolean() : number(f.kind === 'int' ? { integer: true } : {});
  return f.default === undefined && f.none === undefined ? type : optional(type);
}

const node: Schema<LayerSpec> = lazy(
  () =>
    tagged(
      'type',
      {
        ...Object.fromEntries(
          LAYERS.map((def) => [
            def.type,
            { name, ...Object.fromEntries(def.fields.map((f) => [f.key, field(f)])) },
          ]),
        ),
        ...Object.fromEntries(
          BLOCKS.map(({ type }) => [
            type,
            {
              name,
              ...(type === 'Repeat' ? { times: number({ min: 1, max: 1000, integer: true }) } : {}),
              layers: array(node, MAX_LAYERS),
            },
          ]),
        ),
      } as Record<string, Fields>,
      'a layer',
    ) as Schema<LayerSpec>,
);

/**
 * A model spec's structure and types alone (known layers and fields, bounded sizes), not yet
 * checked as a whole: what the builder may hold while the user edits it, a layer that does not
 * fit its input included (the page's own kept draft is read back this way, and marked).
 */
export const modelSpecDraft: Schema<ModelSpec> = object({
  name: string(100, { pattern: /^[^\n\r]*$/, what: 'a one-line name' }),
  inputShape: map(array(number({ min: 1, integer: true }), 8), (shape, refuse) =>
    shape.length ? shape : refuse('must not be empty'),
  ),
  inputDtype: optional(oneOf(['int32'])),
  layers: array(node, MAX_LAYERS),
  tied: optional(record(string(200), 64)),
}) as Schema<ModelSpec>;

/** A model spec read from untrusted JSON, typed field by field and valid as a whole (specError). */
export const modelSpec: Schema<ModelSpec> = map(modelSpecDraft, (spec, refuse) => {
  const problem = specError(spec);
  return problem ? refuse(problem) : spec;
});
