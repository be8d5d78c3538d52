/**
 * Runs kept across visits, in IndexedDB next to the dataset cache: each run's record (config, spec,
 * metrics, last evaluation) and its latest checkpoint, in separate stores so listing runs never reads
 * checkpoint bytes. Every write is one transaction; a full quota is the storage layer's QuotaError,
 * with what was stored before intact.
 */
import { SchemaError } from '../../schema';
import { type DBSchema, type IDBPDatabase, openDatabase, write } from '../../storage/indexeddb';
import type { RunRecord } from '../store/runsSlice';
import { readStoredRun, storedRun } from './storedRun';

interface Schema extends DBSchema {
  // What is read back is untrusted (an older version, a crash mid-write, an extension): unknown.
  runs: { key: IDBValidKey; value: unknown };
  checkpoints: { key: IDBValidKey; value: Uint8Array };
}

/** A stored record the page cannot read: its key, why (one line), and the value, to download. */
export interface UnreadableRun {
  key: IDBValidKey;
  problem: string;
  value: unknown;
}

/** The run store. Open it with RunDb.open(). */
export class RunDb {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** Opens (creating on first use) the runs database. */
  static async open(): Promise<RunDb> {
    const db = await openDatabase<Schema>('kiln-runs', 1, (d) => {
      d.createObjectStore('runs', { keyPath: 'id' });
      d.createObjectStore('checkpoints');
    });
    return new RunDb(db);
  }

  /**
   * Every stored run that can be read, oldest first, and the records that cannot, set aside with
   * why, so that one damaged record costs only itself.
   */
  async list(): Promise<{ runs: RunRecord[]; unreadable: UnreadableRun[] }> {
    const tx = this.db.transaction('runs');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
    const runs: RunRecord[] = [];
    const unreadable: UnreadableRun[] = [];
    values.forEach((value, i) => {
      try {
        runs.push(readStoredRun(value));
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
        unreadable.push({ key: keys[i], problem: e.message, value });
      }
    });
    return { runs: runs.sort((a, b) => a.createdAt - b.createdAt), unreadable };
  }

  /** Stores (or replaces) a run's record, stamped with the record layout's version. */
  async put(run: RunRecord): Promise<void> {
    await write(this.db, ['runs'], `run ${run.id}`, (tx) => tx.objectStore('runs').put(storedRun(run)));
  }

  /** Stores a run's latest checkpoint, replacing the one before. */
  async putCheckpoint(id: string, bytes: Uint8Array): Promise<void> {
    await write(this.db, ['checkpoints'], `the checkpoint of run ${id}`, (tx) =>
      tx.objectStore('checkpoints').put(bytes, id),
    );
  }

  /** A run's stored checkpoint, if any. */
  async checkpoint(id: string): Promise<Uint8Array | undefined> {
    return this.db.get('checkpoints', id);
  }

  /** Forgets a run and its checkpoint (an unreadable one by its key). */
  async delete(id: IDBValidKey): Promise<void> {
    await write(this.db, ['runs', 'checkpoints'], `run ${id}`, async (tx) => {
      await tx.objectStore('runs').delete(id);
      await tx.objectStore('checkpoints').delete(id);
    });
  }
}
