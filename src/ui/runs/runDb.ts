/**
 * Runs kept across visits, in IndexedDB next to the dataset cache: each run's record (config, spec,
 * metrics, last evaluation) and its latest checkpoint, in separate stores so listing runs never reads
 * checkpoint bytes. Every write is one transaction; a full quota is the storage layer's QuotaError,
 * with what was stored before intact.
 */
import { type DBSchema, type IDBPDatabase, openDatabase, write } from '../../storage/indexeddb';
import type { RunRecord } from '../store/runsSlice';

interface Schema extends DBSchema {
  runs: { key: string; value: RunRecord };
  checkpoints: { key: string; value: Uint8Array };
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

  /** Every stored run, oldest first. */
  async list(): Promise<RunRecord[]> {
    return (await this.db.getAll('runs')).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Stores (or replaces) a run's record. */
  async put(run: RunRecord): Promise<void> {
    await write(this.db, ['runs'], `run ${run.id}`, (tx) => tx.objectStore('runs').put(run));
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

  /** Forgets a run and its checkpoint. */
  async delete(id: string): Promise<void> {
    await write(this.db, ['runs', 'checkpoints'], `run ${id}`, async (tx) => {
      await tx.objectStore('runs').delete(id);
      await tx.objectStore('checkpoints').delete(id);
    });
  }
}
