/**
 * The one reader of a training config from untrusted JSON (a checkpoint, a share link, a worker
 * message): the structure first (only known settings, no prototype keys, bounded sizes), then
 * resolveConfig for defaults, types and ranges, so every reader refuses with the same words.
 */
import { json, map, oneOf, record, type Schema } from '../schema';
import { ConfigError, DEFAULT_CONFIG, resolveConfig, type TrainConfig } from './config';

const settings = Object.keys(DEFAULT_CONFIG);

/**
 * A config's structure alone (known settings, plain JSON values), for a reader that passes it to
 * resolveConfig itself to keep its ConfigError (the worker: the form marks the fields it names).
 */
export const configJson = record(json(1000), settings.length, oneOf(settings, 'a setting'));

/** A config read from untrusted JSON: known settings only, checked by resolveConfig. */
export const trainConfig: Schema<TrainConfig> = map(configJson, (raw, refuse) => {
  try {
    return resolveConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) refuse(e.message);
    throw e;
  }
});
