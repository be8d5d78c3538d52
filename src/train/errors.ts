/**
 * The kinds of failure a user is told about, one per error class, so the CLI's exit code and
 * message and the page's explanation come from the class of an error, never from its text.
 */
import { DatasetError } from '../data/errors';
import { NoWebGPUError } from '../gpu/device';
import { StateDictError } from '../nn/module';
import { SchemaError } from '../schema';
import { QuotaError } from '../storage/indexeddb';
import { DeviceLostError } from '../tensor/webgpu';
import { CheckpointError } from './checkpoint';
import { ConfigError } from './config';
import { SafetensorsError } from './safetensors';
import { SampleError } from './sample_options';
import { DivergenceError } from './trainer';

/** What went wrong, as the page and the CLI tell it apart. */
export type ErrorKind =
  /** The settings cannot train (a field, the model against the data). */
  | 'config'
  /** A file that is not what it claims, or does not fit this run. */
  | 'bad-input'
  /** A dataset that cannot be read or used. */
  | 'dataset'
  /** The data differ from those the checkpoint trained on. */
  | 'data-mismatch'
  /** The browser refused to store more. */
  | 'quota'
  /** The loss diverged: not finite, or many times its first value (trainer.ts divergenceLimit). */
  | 'nan-loss'
  | 'no-webgpu'
  | 'device-lost'
  /** A bug: anything else. */
  | 'internal';

/** A run that cannot start as asked, for a reason the user can act on. */
export class RunError extends Error {
  override name = 'RunError';
  constructor(
    readonly kind: 'config' | 'data-mismatch',
    message: string,
  ) {
    super(message);
  }
}

/** The kind of any thrown value. */
export function errorKind(e: unknown): ErrorKind {
  if (e instanceof RunError) return e.kind;
  if (e instanceof QuotaError) return 'quota';
  if (e instanceof ConfigError) return 'config';
  if (e instanceof DivergenceError) return 'nan-loss';
  if (e instanceof NoWebGPUError) return 'no-webgpu';
  if (e instanceof DeviceLostError) return 'device-lost';
  if (e instanceof DatasetError) return 'dataset';
  if (
    e instanceof SafetensorsError ||
    e instanceof StateDictError ||
    e instanceof CheckpointError ||
    e instanceof SampleError ||
    e instanceof SchemaError
  )
    return 'bad-input';
  return 'internal';
}
