/**
 * Runs kept across visits, in IndexedDB next to the dataset cache: each run's record (config, spec,
 * metrics, last evaluation) and its latest checkpoint, in separate stores so listing runs never reads
 * checkpoint bytes.
 */
import type { RunRecord } from '../store/runsSlice';

const DB_NAME = 'kiln-runs';
const RUNS = 'runs';
const CHECKPOINTS = 'checkpoints';

/** Storage refused a write because the site's quota is used up; what was stored before is intact. */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function isQuota(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);
}

/** The run store. Open it with RunDb.open(). */
export class RunDb {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (creating on first use) the runs database. */
  static async open(factory: IDBFactory = indexedDB): Promise<RunDb> {
    const req = factory.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(RUNS, { keyPath: 'id' });
      req.result.createObjectStore(CHECKPOINTS);
    };
    return new RunDb(await request(req));
  }

  /** Every stored run, oldest first. */
  async list(): Promise<RunRecord[]> {
    const runs = await request(
      this.db.transaction(RUNS).objectStore(RUNS).getAll() as IDBRequest<RunRecord[]>,
    );
    return runs.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Stores (or replaces) a run's record. */
  async put(run: RunRecord): Promise<void> {
    await this.write([RUNS], (tx) => tx.objectStore(RUNS).put(run));
  }

  /** Stores a run's latest checkpoint, replacing the one before. */
  async putCheckpoint(id: string, bytes: Uint8Array): Promise<void> {
    await this.write([CHECKPOINTS], (tx) => tx.objectStore(CHECKPOINTS).put(bytes, id));
  }

  /** A run's stored checkpoint, if any. */
  async checkpoint(id: string): Promise<Uint8Array | undefined> {
    return request(
      this.db.transaction(CHECKPOINTS).objectStore(CHECKPOINTS).get(id) as IDBRequest<Uint8Array>,
    );
  }

  /** Forgets a run and its checkpoint. */
  async delete(id: string): Promise<void> {
    await this.write([RUNS, CHECKPOINTS], (tx) => {
      tx.objectStore(RUNS).delete(id);
      tx.objectStore(CHECKPOINTS).delete(id);
    });
  }

  // One transaction per write, so a refused write (a full quota) is rolled back whole.
  private write(stores: string[], body: (tx: IDBTransaction) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let tx: IDBTransaction;
      try {
        tx = this.db.transaction(stores, 'readwrite');
        body(tx);
      } catch (e) {
        reject(isQuota(e) ? new StorageFullError('storage is full') : e);
        return;
      }
      tx.oncomplete = () => resolve();
      const fail = () =>
        reject(
          isQuota(tx.error)
            ? new StorageFullError('storage is full')
            : (tx.error ?? new Error('write aborted')),
        );
      tx.onerror = fail;
      tx.onabort = fail;
    });
  }
}
