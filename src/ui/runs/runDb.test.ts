import { describe, expect, it, vi } from 'vitest';
import { QuotaError } from '../../storage/indexeddb';
import { FULL_DISK_MODES, simulateFullDisk, withFreshIndexedDB } from '../../storage/testing';
import type { RunRecord } from '../store/runsSlice';
import { RunDb } from './runDb';

const run = (id: string, createdAt: number) => ({ id, createdAt, epoch: 0 }) as unknown as RunRecord;

withFreshIndexedDB();

describe('RunDb', () => {
  it('keeps runs oldest first, each with its latest checkpoint, and forgets both together', async () => {
    const db = await RunDb.open();
    await db.put(run('b', 2));
    await db.put(run('a', 1));
    await db.putCheckpoint('a', Uint8Array.of(1));
    await db.putCheckpoint('a', Uint8Array.of(2));
    expect((await db.list()).map((r) => r.id)).toEqual(['a', 'b']);
    expect(await db.checkpoint('a')).toEqual(Uint8Array.of(2));
    await db.delete('a');
    expect((await db.list()).map((r) => r.id)).toEqual(['b']);
    expect(await db.checkpoint('a')).toBeUndefined();
    // A second connection (the next visit) sees the same runs.
    expect((await (await RunDb.open()).list()).map((r) => r.id)).toEqual(['b']);
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
