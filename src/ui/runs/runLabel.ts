/**
 * A run's name and creation time, written into the .safetensors files the page downloads (metadata
 * key `kiln.run`), so that the file uploaded again (after a reload, in another browser) opens as
 * the run it was, named and dated as it was, not after its file. It is stamped at download, so a
 * rename after the run was trained is what the file carries.
 */

import { SafetensorsError, safetensorsMetadata, withMetadata } from 'kiln/checkpoint';
import { number, object, read, string } from '../../schema';
import type { RunRecord } from '../store/runsSlice';
import { fitRunName, MAX_RUN_NAME } from './storedRun';

/** The safetensors metadata key holding the run's label (JSON). */
export const RUN_LABEL_KEY = 'kiln.run';

/** What a downloaded file says of its run. */
export type RunLabel = Pick<RunRecord, 'name' | 'createdAt'>;

// Counted in UTF-16 units, two to a code point outside the BMP (as the run records count them).
const runLabel = object({ name: string(MAX_RUN_NAME * 2), createdAt: number({ min: 0 }) });

/**
 * `bytes` (a checkpoint or a state dict) with `run`'s name and creation time in its metadata; bytes
 * that are not safetensors (a damaged stored checkpoint) are handed out as they are, for the user
 * to keep: uploading them names what is wrong.
 */
export function labelled(bytes: Uint8Array, run: RunLabel): Uint8Array {
  const label: RunLabel = { name: run.name, createdAt: run.createdAt };
  try {
    return withMetadata(bytes, { [RUN_LABEL_KEY]: JSON.stringify(label) });
  } catch (e) {
    if (e instanceof SafetensorsError) return bytes;
    throw e;
  }
}

/**
 * The run label an uploaded file carries, or null when it carries none (a file from PyTorch, or
 * from a Kiln before labels) or one that cannot be read: the file is then named after itself.
 */
export function readRunLabel(bytes: Uint8Array): RunLabel | null {
  try {
    const json = safetensorsMetadata(bytes)[RUN_LABEL_KEY];
    if (json === undefined) return null;
    const { name, createdAt } = read(runLabel, JSON.parse(json));
    return name.trim() ? { name: fitRunName(name), createdAt } : null;
  } catch {
    // Not safetensors, or a label edited by hand: the worker's reading of the file says what is wrong.
    return null;
  }
}
