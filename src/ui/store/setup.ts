/**
 * A setup: the builder's model and the form's training settings, the part of a run that can be
 * written down and shared (never its weights). It is kept in localStorage across reloads, with the
 * chosen dataset, and carried in a link's hash; both are read back as untrusted text, checked by the same validators
 * the worker uses (specError, resolveConfig), and refused whole with one sentence when wrong.
 */
import { LAYER_TYPES, type ModelSpec, specError } from '../../nn/spec';
import { resolveConfig, type TrainConfig } from '../../train/config';
import type { DatasetSource } from '../../worker/protocol';

/** The dataset the page trains on, as it can be chosen again: MNIST, or a user's dataset cached in this browser. */
export type DatasetChoice = Exclude<DatasetSource, { kind: 'files' }>;

/** MNIST, the page's dataset until the user chooses another. */
export const MNIST_CHOICE: DatasetChoice = { kind: 'builtin', id: 'mnist' };

/** A model and the settings to train it with. */
export interface Setup {
  model: ModelSpec;
  config: TrainConfig;
  /** The chosen dataset, kept in this browser with the rest (a link carries none: the data stay here). */
  dataset?: DatasetChoice;
}

/** The localStorage key the page's setup is kept under. */
export const SETUP_KEY = 'kiln-setup';

/** The hash parameter a link carries its setup in: `#setup=<base64url JSON>`. */
const HASH_PARAM = 'setup';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// Layer names become attributes in the exported PyTorch script: only identifiers may pass.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Why `raw` is not a model spec the builder can hold and train, or null when it is. */
function modelProblem(raw: unknown): string | null {
  if (!isObject(raw)) return 'the model is not a JSON object';
  if (typeof raw.name !== 'string' || raw.name.length > 100 || /[\n\r]/.test(raw.name))
    return 'the model has no one-line name';
  const shape = raw.inputShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0))
    return 'the model has no input shape of positive whole numbers';
  if (!Array.isArray(raw.layers)) return 'the model has no list of layers';
  for (const [i, layer] of raw.layers.entries()) {
    if (!isObject(layer) || !(LAYER_TYPES as readonly unknown[]).includes(layer.type))
      return `layer ${i} is not one of ${LAYER_TYPES.join(', ')}`;
    if (layer.name !== undefined && !(typeof layer.name === 'string' && IDENTIFIER.test(layer.name)))
      return `layer ${i}'s name is not an identifier`;
  }
  return specError(raw as unknown as ModelSpec);
}

/** A setup from untrusted JSON; throws an Error saying what is wrong. */
export function readSetup(raw: unknown): Setup {
  if (!isObject(raw)) throw new Error('it holds no model and settings');
  const problem = modelProblem(raw.model);
  if (problem) throw new Error(problem);
  return { model: raw.model as unknown as ModelSpec, config: resolveConfig(raw.config) };
}

/** The dataset choice a kept setup holds, or null when it holds none (an older setup) or a wrong one. */
export function readDatasetChoice(raw: unknown): DatasetChoice | null {
  const d = isObject(raw) ? raw.dataset : undefined;
  if (!isObject(d)) return null;
  if (d.kind === 'builtin' && d.id === 'mnist') return MNIST_CHOICE;
  if (d.kind === 'cached' && typeof d.name === 'string' && /^[^\n\r]{1,200}$/.test(d.name))
    return { kind: 'cached', name: d.name };
  return null;
}

/** `setup` as URL-safe base64 of its JSON. */
export function encodeSetup(setup: Setup): string {
  const bytes = new TextEncoder().encode(JSON.stringify(setup));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The setup in encodeSetup's text; throws an Error saying what is wrong. */
export function decodeSetup(text: string): Setup {
  let json: unknown;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    json = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    );
  } catch {
    throw new Error('it is damaged (not the text Copy link writes)');
  }
  return readSetup(json);
}

/** `page` (an address without a hash) with `setup` in its hash. */
export function setupLink(page: string, setup: Setup): string {
  return `${page}#${HASH_PARAM}=${encodeSetup(setup)}`;
}

/** The encoded setup a hash (`#setup=…`) carries, or null when it carries none. */
export function hashSetup(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get(HASH_PARAM);
}
