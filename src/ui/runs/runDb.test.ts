import { describe, expect, it, vi } from 'vitest';
import { openDatabase, QuotaError } from '../../storage/indexeddb';
import { FULL_DISK_MODES, simulateFullDisk, withFreshIndexedDB } from '../../storage/testing';
import type { RunRecord } from '../store/runsSlice';
import v1 from './fixtures/record-v1.json';
import { RUN_DB_VERSION, RunDb } from './runDb';

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
    const raw = await openDatabase<{ runs: { key: string; value: unknown } }>(
      'kiln-runs',
      RUN_DB_VERSION,
      () => {},
    );
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

  it("keeps each run's histograms within the budget, dropping the oldest runs' and saying so", async () => {
    const point = (step: number, bins: number) => ({
      step,
      wallTime: 1,
      lo: -1,
      hi: 1,
      counts: new Uint32Array(bins).fill(step),
      nan: 0,
      posInf: 0,
      negInf: 0,
      min: Number.NaN,
      max: Number.POSITIVE_INFINITY,
      sum: 0,
      sumSquares: 0,
    });
    // Each run's: 1000 bins, 4,000 bytes and a few dozen of overhead; two fit in 9,000, not three.
    const histograms = (step: number) => ({ 'fc.weight': [point(step, 1000)] });
    const db = await RunDb.open();
    expect(await db.putHistograms('old', 1, histograms(1), 9000)).toBeNull();
    expect(await db.putHistograms('mid', 2, histograms(2), 9000)).toBeNull();
    expect(await db.putHistograms('new', 3, histograms(3), 9000)).toBeNull();
    // A run stored again replaces its own; one over the budget alone is not stored.
    expect(await db.putHistograms('new', 3, histograms(4), 9000)).toBeNull();
    expect(await db.putHistograms('huge', 4, { w: [point(1, 3000)] }, 9000)).toBe('too-large');
    const kept = await (await RunDb.open()).keptHistograms();
    expect(Object.keys(kept.histograms).sort()).toEqual(['mid', 'new']);
    expect(kept.histograms.new['fc.weight']).toEqual([point(4, 1000)]);
    expect(kept.notKept).toEqual({ old: 'evicted', huge: 'too-large' });
    // Deleting a run forgets its histograms and its place in the ledger.
    await db.delete('mid');
    await db.delete('old');
    expect(await db.keptHistograms()).toEqual({
      histograms: { new: { 'fc.weight': [point(4, 1000)] } },
      notKept: { huge: 'too-large' },
    });
  });

  it('reads stored histograms through the schema: a damaged entry is left out, the others load', async () => {
    const db = await RunDb.open();
    const good = {
      w: [
        {
          step: 1,
          wallTime: 1,
          lo: 0,
          hi: 1,
          counts: Uint32Array.of(2),
          nan: 0,
          posInf: 0,
          negInf: 0,
          min: 0,
          max: 1,
          sum: 1,
          sumSquares: 1,
        },
      ],
    };
    await db.putHistograms('good', 1, good);
    const raw = await openDatabase<{ histograms: { key: string; value: unknown } }>(
      'kiln-runs',
      RUN_DB_VERSION,
      () => {},
    );
    await raw.put('histograms', { w: [{ ...good.w[0], counts: [2] }] }, 'bad');
    await raw.put('histograms', 'junk', 'junk');
    raw.close();
    expect((await (await RunDb.open()).keptHistograms()).histograms).toEqual({ good });
  });

  it('opens a version 1 database (runs and checkpoints, no histograms) with its runs intact', async () => {
    type V1 = { runs: { key: string; value: unknown }; checkpoints: { key: string; value: Uint8Array } };
    const v1db = await openDatabase<V1>('kiln-runs', 1, (d) => {
      d.createObjectStore('runs', { keyPath: 'id' });
      d.createObjectStore('checkpoints');
    });
    await v1db.put('runs', { ...structuredClone(v1), id: 'kept', createdAt: 1 });
    v1db.close();
    const db = await RunDb.open();
    expect((await db.list()).runs.map((r) => r.id)).toEqual(['kept']);
    expect(await db.keptHistograms()).toEqual({ histograms: {}, notKept: {} });
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
