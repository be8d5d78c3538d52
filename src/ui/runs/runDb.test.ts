import { describe, expect, it, vi } from 'vitest';
import { openDatabase, QuotaError } from '../../storage/indexeddb';
import { FULL_DISK_MODES, simulateFullDisk, withFreshIndexedDB } from '../../storage/testing';
import type { RunRecord } from '../store/runsSlice';
import v1 from './fixtures/record-v1.json';
import { RunDb } from './runDb';

const run = (id: string, createdAt: number) =>
  ({ ...structuredClone(v1), id, createdAt }) as unknown as RunRecord;

withFreshIndexedDB();

describe('RunDb', () => {
  it('keeps runs oldest first, each with its latest checkpoint, and forgets both together', async () => {
    const db = await RunDb.open();
    await db.put(run('b', 2));
    await db.put(run('a', 1));
    await db.putCheckpoint('a', Uint8Array.of(1));
    await db.putCheckpoint('a', Uint8Array.of(2));
    expect((await db.list()).runs.map((r) => r.id)).toEqual(['a', 'b']);
    expect(await db.checkpoint('a')).toEqual(Uint8Array.of(2));
    await db.delete('a');
    expect((await db.list()).runs.map((r) => r.id)).toEqual(['b']);
    expect(await db.checkpoint('a')).toBeUndefined();
    // A second connection (the next visit) sees the same runs.
    expect((await (await RunDb.open()).list()).runs.map((r) => r.id)).toEqual(['b']);
  });

  it('sets a damaged record aside, listed with why, loads the rest, and deletes it on request', async () => {
    const db = await RunDb.open();
    await db.put(structuredClone(v1) as unknown as RunRecord);
    // As earlier versions (no version field), a crash mid-write or an extension leave them.
    const raw = await openDatabase<{ runs: { key: string; value: unknown } }>('kiln-runs', 1, () => {});
    await raw.put('runs', { ...structuredClone(v1), id: 'old', createdAt: 1 });
    await raw.put('runs', { ...structuredClone(v1), id: 'bad', model: null });
    await raw.put('runs', { id: 'half' });
    raw.close();
    const { runs, unreadable } = await db.list();
    expect(runs.map((r) => r.id)).toEqual(['old', v1.id]);
    expect(unreadable.map(({ key, problem }) => [key, problem])).toEqual([
      ['bad', 'model: must be an object, got null'],
      ['half', 'name: missing'],
    ]);
    expect(unreadable[0].value).toMatchObject({ id: 'bad', model: null });
    await db.delete('bad');
    expect((await db.list()).unreadable.map((u) => u.key)).toEqual(['half']);
  });

  for (const mode of FULL_DISK_MODES) {
    it(`refuses a checkpoint on a full quota (${mode}) and keeps the one before`, async () => {
      const db = await RunDb.open();
      await db.putCheckpoint('a', Uint8Array.of(1));
      simulateFullDisk('checkpoints', mode);
      const error = await db.putCheckpoint('a', Uint8Array.of(2)).catch((e) => e);
      expect(error).toBeInstanceOf(QuotaError);
      expect(error.message).toMatch(/^the checkpoint of run a: cannot be stored: storage is full/);
      vi.restoreAllMocks();
      expect(await db.checkpoint('a')).toEqual(Uint8Array.of(1));
    });
  }
});
