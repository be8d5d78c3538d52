/**
 * A setup: the builder's model and the form's training settings, the part of a run that can be
 * written down and shared (never its weights). It is kept in localStorage across reloads, with the
 * chosen dataset, and carried in a link's hash; both are read back as untrusted text through the
 * schema every reader uses (modelSpec, trainConfig), and refused whole with one line when wrong.
 */

import {
  ConfigError,
  configJson,
  configProblems,
  DEFAULT_CONFIG,
  MNIST_NORMALIZATION,
  PER_DATASET_SETTINGS,
  type TrainConfig,
  trainConfig,
} from 'kiln/config';
import { type ModelSpec, modelSpec, modelSpecDraft, specError } from 'kiln/spec';
import {
  json,
  map,
  object,
  oneOf,
  optional,
  read,
  record,
  type Schema,
  SchemaError,
  string,
  tagged,
} from '../../schema';
import type { DatasetSource } from '../../worker/protocol';
import { fromBase64, toBase64 } from '../base64';

/** The dataset the page trains on, as it can be chosen again: MNIST, or a user's dataset cached in this browser. */
export type DatasetChoice = Exclude<DatasetSource, { kind: 'files' }>;

/** MNIST, the page's dataset until the user chooses another. */
export const MNIST_CHOICE: DatasetChoice = { kind: 'builtin', id: 'mnist' };

/** A dataset choice as a key: `builtin:mnist`, `cached:<name>`. */
export function choiceKey(choice: DatasetChoice): string {
  return choice.kind === 'builtin' ? `builtin:${choice.id}` : `cached:${choice.name}`;
}

/** Each dataset's own values of the per-dataset settings (PER_DATASET_SETTINGS), by choiceKey. */
export type DatasetSettings = Record<string, Partial<TrainConfig>>;
/** The bundled text (the Jargon File), a character-level language model's data. */
export const JARGON_CHOICE: DatasetChoice = { kind: 'builtin', id: 'jargon' };

/** A model and the settings to train it with. */
export interface Setup {
  model: ModelSpec;
  config: TrainConfig;
  /** The chosen dataset, kept in this browser with the rest (a link carries none: the data stay here). */
  dataset?: DatasetChoice;
  /**
   * The per-dataset settings of the datasets not chosen now (the chosen one's are in `config`),
   * kept in this browser with the rest.
   */
  datasetSettings?: DatasetSettings;
}

/** The localStorage key the page's setup is kept under. */
export const SETUP_KEY = 'kiln-setup';

/** The hash parameter a link carries its setup in: `#setup=<base64url JSON>`. */
const HASH_PARAM = 'setup';

const datasetChoice: Schema<DatasetChoice> = tagged(
  'kind',
  {
    builtin: { id: oneOf(['mnist', 'jargon']) },
    cached: { name: string(200, { pattern: /^[^\n\r]+$/, what: 'a one-line name' }) },
  },
  'a kind of dataset this browser keeps',
);

const setup = object({
  model: modelSpec,
  config: trainConfig,
  dataset: optional(datasetChoice),
  datasetSettings: optional(json(100_000)),
});

/** One dataset's own settings: per-dataset ones only, each a value the validator takes. */
const ownSettings = map(
  record(json(100), PER_DATASET_SETTINGS.length, oneOf(PER_DATASET_SETTINGS, 'a per-dataset setting')),
  (raw, refuse) => {
    const own = raw as Partial<TrainConfig>;
    const problem = configProblems({ ...DEFAULT_CONFIG, ...own }).find((p) => p.field in own);
    return problem ? refuse(problem.message) : own;
  },
);

const datasetSettings: Schema<DatasetSettings> = record(ownSettings, 1000, string(300));

/** A setup from untrusted JSON; throws an Error saying, in one line, what is wrong and where. */
export function readSetup(raw: unknown): Setup {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error('it holds no model and settings');
  const { model, config } = read(setup, raw);
  return { model, config: computedNormalization(config) };
}

/**
 * Setups made before the normalisation could be set or computed all hold MNIST's figures, which
 * were then applied to every dataset: they read as "computed", what those figures were for MNIST.
 */
function computedNormalization(config: TrainConfig): TrainConfig {
  const { mean, std } = MNIST_NORMALIZATION;
  return config.mean === mean && config.std === std ? { ...config, mean: null, std: null } : config;
}

/** The setup this browser kept, as far as it can be read: see readDraft. */
export interface Draft {
  /** The builder's model as it was left, a layer that does not fit included; absent if unreadable. */
  model?: ModelSpec;
  /** Why the model cannot train as it stands (specError's line), or null. */
  modelProblem: string | null;
  /** The form's settings: each kept one that is valid, the rest at their defaults; absent if none could be read. */
  config?: TrainConfig;
}

/**
 * The setup this browser kept for itself (the page's own draft, written at every edit), read part
 * by part so that one bad part costs only itself: the model as long as its layers and fields are
 * well-formed, even when their shapes do not fit (the builder marks it, and Train refuses it as it
 * always does); the settings one by one, a value out of range falling back to its default.
 */
export function readDraft(raw: unknown): Draft {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { modelProblem: null };
  const kept = raw as { model?: unknown; config?: unknown };
  const draft: Draft = { modelProblem: null };
  try {
    draft.model = read(modelSpecDraft, kept.model);
    draft.modelProblem = specError(draft.model);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
  }
  let config: TrainConfig | undefined;
  try {
    config = read(trainConfig, kept.config);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    config = settingBySetting(kept.config);
  }
  if (config) draft.config = computedNormalization(config);
  return draft;
}

/** The settings of a kept config that resolve, each in turn over the ones before; undefined when it is not a config. */
function settingBySetting(raw: unknown): TrainConfig | undefined {
  let settings: Record<string, unknown>;
  try {
    settings = read(configJson, raw);
  } catch {
    return undefined;
  }
  let config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    try {
      read(trainConfig, { ...config, [key]: value });
      config = { ...config, [key]: value };
    } catch (e) {
      if (!(e instanceof SchemaError || e instanceof ConfigError)) throw e;
    }
  }
  return read(trainConfig, config);
}

/** The dataset choice a kept setup holds, or null when it holds none (an older setup) or a wrong one. */
export function readDatasetChoice(raw: unknown): DatasetChoice | null {
  if (typeof raw !== 'object' || raw === null || !Object.hasOwn(raw, 'dataset')) return null;
  try {
    return read(datasetChoice, (raw as { dataset: unknown }).dataset);
  } catch {
    return null;
  }
}

/** The per-dataset settings a kept setup holds; none when it holds none (an older setup) or damaged ones. */
export function readDatasetSettings(raw: unknown): DatasetSettings {
  if (typeof raw !== 'object' || raw === null || !Object.hasOwn(raw, 'datasetSettings')) return {};
  try {
    return read(datasetSettings, (raw as { datasetSettings: unknown }).datasetSettings);
  } catch {
    return {};
  }
}

/** The longest setup text a link carries: Chromium's limit on a whole URL (2 MiB), which no browser exceeds. */
export const MAX_LINK_CHARS = 2 * 1024 * 1024;

/** Why a setup text of `n` characters cannot travel in a link. */
const tooLong = (n: number) =>
  `it is ${n} characters, over the ${MAX_LINK_CHARS} a link can carry (browsers cut longer addresses)`;

/** `setup` as URL-safe base64 of its JSON; throws an Error naming the limit when no link could carry it. */
export function encodeSetup(setup: Setup): string {
  const bytes = new TextEncoder().encode(JSON.stringify(setup));
  const text = toBase64(bytes, true);
  if (text.length > MAX_LINK_CHARS) throw new Error(tooLong(text.length));
  return text;
}

/** The setup in encodeSetup's text; throws an Error saying what is wrong. */
export function decodeSetup(text: string): Setup {
  if (text.length > MAX_LINK_CHARS) throw new Error(tooLong(text.length));
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64(text)));
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
