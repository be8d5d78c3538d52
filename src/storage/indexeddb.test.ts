import { describe, expect, it, vi } from 'vitest';
import { type DBSchema, isQuotaError, openDatabase, QuotaError, write } from './indexeddb';
import { FULL_DISK_MODES, simulateFullDisk, withFreshIndexedDB } from './testing';

interface Schema extends DBSchema {
  a: { key: string; value: number };
  b: { key: string; value: number };
}

/** The schema's next version: one store more. */
interface Schema2 extends Schema {
  c: { key: string; value: number };
}

const open = () =>
  openDatabase<Schema>('test', 1, (db) => {
    db.createObjectStore('a');
    db.createObjectStore('b');
  });

withFreshIndexedDB();

describe('write', () => {
  it('commits every write of the body together', async () => {
    const db = await open();
    await write(db, ['a', 'b'], 'pair', async (tx) => {
      await tx.objectStore('a').put(1, 'x');
      await tx.objectStore('b').put(2, 'x');
    });
    expect([await db.get('a', 'x'), await db.get('b', 'x')]).toEqual([1, 2]);
    db.close();
  });

  for (const mode of FULL_DISK_MODES) {
    it(`refuses a full quota (${mode}) with one QuotaError and keeps what was stored`, async () => {
      const db = await open();
      await db.put('a', 1, 'x');
      // The first write fails, so a commit-time refusal lands while the body still writes.
      simulateFullDisk('a', mode);
      const error = await write(db, ['a', 'b'], 'the pair', async (tx) => {
        await tx.objectStore('a').put(9, 'x');
        await tx.objectStore('b').put(9, 'x');
      }).catch((e) => e);
      expect(error).toBeInstanceOf(QuotaError);
      expect(error.kind).toBe('quota');
      expect(error.message).toMatch(/^the pair: cannot be stored: storage is full/);
      expect(isQuotaError(error.cause)).toBe(true);
      vi.restoreAllMocks();
      expect([await db.get('a', 'x'), await db.get('b', 'x')]).toEqual([1, undefined]);
      db.close();
    });
  }

  it('rethrows other failures as they are, with the body rolled back', async () => {
    const db = await open();
    const error = await write(db, ['a', 'b'], 'bad', async (tx) => {
      await tx.objectStore('a').put(1, 'x');
      await tx.objectStore('b').put((() => 0) as unknown as number, 'x');
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect(error.name).toBe('DataCloneError');
    expect(await db.get('a', 'x')).toBeUndefined();
    db.close();
  });
});

describe('openDatabase', () => {
  it('upgrades in place and yields to a newer version opened elsewhere', async () => {
    const old = await open();
    await old.put('a', 1, 'x');
    const newer = await openDatabase<Schema2>('test', 2, (db, oldVersion) => {
      expect(oldVersion).toBe(1);
      db.createObjectStore('c');
    });
    expect(await newer.get('a', 'x')).toBe(1);
    expect([...newer.objectStoreNames].sort()).toEqual(['a', 'b', 'c']);
    // The old connection closed itself rather than block the upgrade.
    await expect(old.get('a', 'x')).rejects.toThrow(/closed|InvalidState/i);
    newer.close();
  });

  it('says so where IndexedDB is missing', async () => {
    vi.stubGlobal('indexedDB', undefined);
    await expect(open()).rejects.toThrow('test: IndexedDB is not available here');
  });
});
