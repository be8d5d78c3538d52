/**
 * A run record as IndexedDB keeps it, read back as untrusted data: what an older version, a crash
 * mid-write or a browser extension left there must never blank the page. Each record carries the
 * version of its layout; an older one is migrated step by step, then read through the schema, and
 * a record that cannot be read is set aside (listed as unreadable) while the rest load.
 */

import { MAX_HISTORY } from 'kiln/checkpoint';
import { trainConfig } from 'kiln/config';
import { MAX_CLASS_NAME } from 'kiln/datasets';
import { modelSpec } from 'kiln/spec';
import {
  array,
  boolean,
  count,
  instance,
  nullable,
  number,
  object,
  oneOf,
  optional,
  read,
  record,
  type Schema,
  SchemaError,
  show,
  string,
} from '../../schema';
import type { RunState, WorkerErrorKind } from '../../worker/protocol';
import type { RunRecord } from '../store/runsSlice';

/** The layout version written with every record; records written before versions are version 1. */
export const RECORD_VERSION = 3;

/** The longest run name kept, in characters: names show in legends, tables and headings. */
export const MAX_RUN_NAME = 100;

/** `name` cut to MAX_RUN_NAME characters (whole code points, so no emoji is split in half). */
export function fitRunName(name: string): string {
  const points = [...name];
  return points.length > MAX_RUN_NAME ? points.slice(0, MAX_RUN_NAME).join('') : name;
}

/** The longest notes kept on a run, in characters. */
export const MAX_NOTES = 10_000;
/** The most tags a run keeps. */
export const MAX_TAGS = 20;
/** The longest tag, in characters. */
export const MAX_TAG = 40;

/** `notes` cut to MAX_NOTES characters (whole code points). */
export function fitNotes(notes: string): string {
  const points = [...notes];
  return points.length > MAX_NOTES ? points.slice(0, MAX_NOTES).join('') : notes;
}

/**
 * Tags as a run keeps them: each trimmed, inner spaces as single spaces, cut to MAX_TAG
 * characters; empty ones and repeats (ignoring case) dropped, at most MAX_TAGS, in the given order.
 */
export function fitTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = [...raw.trim().replace(/\s+/g, ' ')].slice(0, MAX_TAG).join('').trim();
    if (tag && !out.some((t) => t.toLowerCase() === tag.toLowerCase())) out.push(tag);
  }
  return out.slice(0, MAX_TAGS);
}

/** Tags typed as one line, comma-separated ("baseline, lr sweep"), as fitTags keeps them. */
export function parseTags(text: string): string[] {
  return fitTags(text.split(','));
}

type Raw = Record<string, unknown>;

/**
 * Each step from version `v` (the key) to `v + 1`. Version 2 only adds the version itself, so a
 * record of version 1 reads as it is. Version 3 limits names to MAX_RUN_NAME (earlier versions kept
 * a rename of any length, which widened the page): a longer one is cut. It also adds the optional
 * `classes`.
 */
const MIGRATIONS: Record<number, (r: Raw) => Raw> = {
  1: (r) => ({ ...r, version: 2 }),
  2: (r) => ({ ...r, version: 3, ...(typeof r.name === 'string' ? { name: fitRunName(r.name) } : {}) }),
};

// Values measured by the worker may be NaN or infinite (an exploding loss, an empty class): kept.
const measured = number({ nonFinite: true });

const point = object({ step: count(), value: measured, wallTime: number(), epoch: measured });

const RUN_STATES = ['queued', 'running', 'paused', 'stopped', 'finished', 'failed'] as const;
const ERROR_KINDS = [
  'config',
  'bad-input',
  'dataset',
  'data-mismatch',
  'quota',
  'nan-loss',
  'no-webgpu',
  'device-lost',
  'internal',
] as const satisfies readonly WorkerErrorKind[];

const current: Schema<RunRecord> = object({
  version: oneOf([RECORD_VERSION]),
  id: string(200),
  // Counted in UTF-16 units, two to a code point outside the BMP.
  name: string(MAX_RUN_NAME * 2),
  color: string(100),
  visible: boolean(),
  series: record(array(point, MAX_HISTORY), 10_000, string(1000)),
  model: modelSpec,
  config: trainConfig,
  dataset: string(1000),
  classes: optional(array(string(MAX_CLASS_NAME), 100_000)),
  state: oneOf(RUN_STATES satisfies readonly RunState[]),
  step: count(),
  epoch: count(),
  stepsPerEpoch: count(),
  samplesPerSec: measured,
  phase: optional(nullable(oneOf(['compiling', 'training', 'validating', 'checkpointing']))),
  valSeconds: optional(nullable(measured)),
  lastEpoch: nullable(
    object({
      epoch: count(),
      valLoss: measured,
      valAcc: measured,
      perClassAcc: array(measured, 100_000),
      confusion: array(array(count(), 100_000), 100_000),
      misclassified: array(
        object({ pixels: instance(Uint8Array, 'image bytes'), label: count(), predicted: count() }),
        10_000,
      ),
    }),
  ),
  error: nullable(object({ kind: oneOf(ERROR_KINDS), message: string(100_000) })),
  modelOnly: optional(boolean()),
  samples: optional(array(object({ step: count(), text: string(100_000) }), 10_000)),
  hasCheckpoint: boolean(),
  checkpointEpoch: optional(count()),
  checkpointStep: optional(count()),
  createdAt: number(),
  uploadedAt: optional(number()),
  sweep: optional(object({ id: string(200), name: string(1000), index: count(), count: count() })),
  // Optional: records written before runs had notes and tags read as they are.
  notes: optional(string(MAX_NOTES * 2)),
  tags: optional(array(string(MAX_TAG * 2), MAX_TAGS)),
});

/** `run` as it is stored: stamped with the layout version it is written in. */
export function storedRun(run: RunRecord): RunRecord & { version: number } {
  return { ...run, version: RECORD_VERSION };
}

/** A stored record, migrated from its version and read through the schema; throws a SchemaError. */
export function readStoredRun(raw: unknown): RunRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SchemaError('', `must be an object, got ${show(raw)}`);
  let r = raw as Raw;
  const version = Object.hasOwn(r, 'version') ? r.version : 1;
  if (
    typeof version !== 'number' ||
    !Number.isSafeInteger(version) ||
    version < 1 ||
    version > RECORD_VERSION
  )
    throw new SchemaError(
      'version',
      `must be from 1 to ${RECORD_VERSION} (a newer Kiln wrote it?), got ${show(version)}`,
    );
  for (let v = version; v < RECORD_VERSION; v++) r = MIGRATIONS[v](r);
  const run: RunRecord & { version?: number } = read(current, r);
  delete run.version;
  return run;
}

/**
 * A stored value as JSON text for the user to keep (byte arrays as lists of numbers), or, where
 * JSON cannot hold it (a cycle), its string form: the download must never fail.
 */
export function recordJson(value: unknown): string {
  try {
    const json = JSON.stringify(
      value,
      (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : typeof v === 'bigint' ? String(v) : v),
      2,
    );
    return json ?? String(value);
  } catch {
    return String(value);
  }
}
