import { describe, expect, it } from 'vitest';
import { SchemaError } from '../../schema';
import { DEFAULT_CONFIG } from '../../train/config';
import v1 from './fixtures/record-v1.json';
import v2 from './fixtures/record-v2.json';
import v3 from './fixtures/record-v3.json';
import {
  fitNotes,
  fitTags,
  MAX_NOTES,
  MAX_RUN_NAME,
  MAX_TAG,
  MAX_TAGS,
  parseTags,
  RECORD_VERSION,
  readStoredRun,
  recordJson,
  storedRun,
} from './storedRun';

/** A record as read back: settings added to Kiln after it was written take their defaults. */
const read = <R extends { config: object }>(r: R): R => ({
  ...r,
  config: { ...DEFAULT_CONFIG, ...r.config },
});

/** The one-line reason a stored value is set aside. */
function problem(value: unknown): string {
  try {
    readStoredRun(value);
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('the record was read');
}

describe('stored run records', () => {
  it('reads a version 1 record (no version field: written before records had one)', () => {
    expect('version' in v1).toBe(false);
    const run = readStoredRun(structuredClone(v1));
    expect(run).toEqual(read(v1));
    expect(Object.getPrototypeOf(run)).toBeNull();
  });

  it('reads a version 2 record, its name cut to the limit version 3 sets (a rename had none)', () => {
    const { version, ...record } = v2;
    expect(version).toBe(2);
    expect(readStoredRun(structuredClone(v2))).toEqual(read(record));
    const long = readStoredRun({ ...structuredClone(v2), name: 'x'.repeat(100_000) });
    expect(long.name).toBe('x'.repeat(MAX_RUN_NAME));
  });

  it('reads a version 3 record, the version it is written in, class names and all', () => {
    expect(RECORD_VERSION).toBe(3);
    const { version, ...record } = v3;
    expect(version).toBe(3);
    expect(readStoredRun(structuredClone(v3))).toEqual(read(record));
    expect(readStoredRun(storedRun(readStoredRun(structuredClone(v1))))).toEqual(read(v1));
    expect(problem({ ...structuredClone(v3), name: 'x'.repeat(201) })).toBe(
      'name: must be at most 200 characters long, got 201',
    );
  });

  it('keeps measured values that are not finite: an exploding loss, an empty class', () => {
    const record = structuredClone(v1);
    record.series['Loss/train'][1].value = Number.POSITIVE_INFINITY;
    record.lastEpoch.perClassAcc[3] = Number.NaN;
    const run = readStoredRun(record);
    expect(run.series['Loss/train'][1].value).toBe(Number.POSITIVE_INFINITY);
    expect(run.lastEpoch?.perClassAcc[3]).toBeNaN();
  });

  it('sets aside what an older version, a crash mid-write or an extension leaves, naming why', () => {
    const edit = (f: (r: Record<string, unknown>) => void) => {
      const r = structuredClone(v1) as unknown as Record<string, unknown>;
      f(r);
      return r;
    };
    expect(problem(null)).toBe('must be an object, got null');
    expect(problem(edit((r) => (r.model = null)))).toBe('model: must be an object, got null');
    expect(problem(edit((r) => delete r.createdAt))).toBe('createdAt: missing');
    expect(problem(edit((r) => (r.series = 'Loss')))).toBe('series: must be an object, got "Loss"');
    expect(problem(edit((r) => (r.series = { 'Loss/train': [{ step: 1 }] })))).toBe(
      'series["Loss/train"][0].value: missing',
    );
    expect(problem(edit((r) => (r.state = 'Running')))).toBe(
      'state: must be one of "queued", "running", "paused", "stopped", "finished", "failed", got "Running"; did you mean running?',
    );
    expect(problem(edit((r) => (r.extension = 1)))).toMatch(/^extension: unknown field$/);
    expect(problem(JSON.parse(`{"__proto__": {}, ${JSON.stringify(v1).slice(1)}`))).toBe(
      '__proto__: "__proto__" is not allowed as a key',
    );
    expect(problem(edit((r) => (r.version = 4)))).toBe(
      'version: must be from 1 to 3 (a newer Kiln wrote it?), got 4',
    );
    expect(problem(edit((r) => (r.version = '2')))).toBe(
      'version: must be from 1 to 3 (a newer Kiln wrote it?), got "2"',
    );
  });

  it('keeps notes and tags, reads records without them, and refuses too many tags', () => {
    const noted = { ...structuredClone(v3), notes: 'lr too high: diverged', tags: ['baseline', 'sweep'] };
    const run = readStoredRun(noted);
    expect(run.notes).toBe('lr too high: diverged');
    expect(run.tags).toEqual(['baseline', 'sweep']);
    expect(readStoredRun(structuredClone(v3)).tags).toBeUndefined();
    expect(problem({ ...noted, tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) })).toBe(
      `tags: must have at most ${MAX_TAGS} items, got ${MAX_TAGS + 1}`,
    );
    expect(problem({ ...noted, tags: [1] })).toBe('tags[0]: must be a string, got 1');
  });

  it('cleans tags as typed: trimmed, one space inside, no empties or repeats, each and all limited', () => {
    expect(parseTags(' baseline ,, lr   sweep, Baseline ,')).toEqual(['baseline', 'lr sweep']);
    expect(fitTags(['x'.repeat(100)])).toEqual(['x'.repeat(MAX_TAG)]);
    expect(fitTags(Array.from({ length: 30 }, (_, i) => `t${i}`))).toHaveLength(MAX_TAGS);
    expect(fitNotes('n'.repeat(MAX_NOTES + 5))).toHaveLength(MAX_NOTES);
  });

  it('downloads any stored value as text, bytes as numbers', () => {
    expect(JSON.parse(recordJson({ pixels: Uint8Array.of(1, 2) }))).toEqual({ pixels: [1, 2] });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(recordJson(cycle)).toBe('[object Object]');
    expect(recordJson(undefined)).toBe('undefined');
  });
});
