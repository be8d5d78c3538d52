/**
 * The one reader of a model spec from untrusted JSON (a share link, a checkpoint's or a state
 * dict's metadata, a worker message): every field typed (a LeakyReLU slope is a number, a layer
 * name a Python identifier), then specError for what shapes decide. The layer registry replaces
 * the table of fields below; every reader goes through `modelSpec`, so that is the one change.
 */
import { array, boolean, count, map, number, object, optional, type Schema, string, tagged } from '../schema';
import { type ModelSpec, specError } from './spec';

const size = number({ min: 1, integer: true });
const pool = { kernelSize: size, stride: optional(size), padding: optional(count()) };
const norm = {
  numFeatures: size,
  eps: optional(number({ above: 0 })),
  momentum: optional(number({ min: 0, max: 1 })),
};
const plain = {};

// Layer names become attributes in the exported PyTorch script: only identifiers may pass.
const name = optional(string(64, { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, what: 'a Python identifier' }));

const layer = tagged(
  'type',
  {
    Linear: { name, inFeatures: size, outFeatures: size, bias: optional(boolean()) },
    Conv2d: {
      name,
      inChannels: size,
      outChannels: size,
      kernelSize: size,
      stride: optional(size),
      padding: optional(count()),
      bias: optional(boolean()),
    },
    MaxPool2d: { name, ...pool },
    AvgPool2d: { name, ...pool },
    BatchNorm1d: { name, ...norm },
    BatchNorm2d: { name, ...norm },
    Dropout: { name, p: number({ min: 0, max: 1 }) },
    Flatten: { name, ...plain },
    ReLU: { name, ...plain },
    LeakyReLU: { name, negativeSlope: optional(number()) },
    GELU: { name, ...plain },
    Tanh: { name, ...plain },
    Sigmoid: { name, ...plain },
  },
  'a layer',
);

/** Most layers a spec may hold: far more than a browser trains, few enough to check at once. */
export const MAX_LAYERS = 1000;

/** A model spec read from untrusted JSON, typed field by field and valid as a whole (specError). */
export const modelSpec: Schema<ModelSpec> = map(
  object({
    name: string(100, { pattern: /^[^\n\r]*$/, what: 'a one-line name' }),
    inputShape: map(array(size, 8), (shape, refuse) => (shape.length ? shape : refuse('must not be empty'))),
    layers: array(layer, MAX_LAYERS),
  }),
  (spec, refuse) => {
    const problem = specError(spec);
    return problem ? refuse(problem) : spec;
  },
);
