/**
 * The one IndexedDB layer every store in Kiln uses (the dataset cache, the page's runs, the
 * autotuner's choices), on the `idb` library: opening a database, one atomic write, and the one
 * place a full quota is recognised. It imports nothing of Kiln, so every layer may use it.
 */
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames } from 'idb';

export type { DBSchema, IDBPDatabase } from 'idb';

/**
 * Storage refused a write because this site has used its quota. The write was rolled back whole:
 * everything stored before is as it was. `kind` matches the worker protocol's error kind.
 */
export class QuotaError extends Error {
  /** Always 'quota': what the worker reports and the page keys its message on. */
  readonly kind = 'quota';

  /** `what` names what could not be stored (a dataset, a run's checkpoint). */
  constructor(what: string, options?: { cause?: unknown }) {
    super(
      `${what}: cannot be stored: storage is full (this site has used its quota). Everything stored ` +
        'before is unchanged; delete cached datasets or old runs to make room, then try again.',
      options,
    );
    this.name = 'QuotaError';
  }
}

/** Whether an error is the browser's "storage quota exceeded" (22 is its legacy DOMException code). */
export function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);
}

/**
 * Opens (creating or upgrading) a database. The connection closes itself when another tab asks for
 * a newer version, so an upgrade never waits on a tab left open.
 */
export async function openDatabase<S extends DBSchema>(
  name: string,
  version: number,
  upgrade: (db: IDBPDatabase<S>, oldVersion: number) => void,
): Promise<IDBPDatabase<S>> {
  if (globalThis.indexedDB === undefined) throw new Error(`${name}: IndexedDB is not available here`);
  const db: IDBPDatabase<S> = await openDB<S>(name, version, {
    upgrade: (d, oldVersion) => upgrade(d, oldVersion),
    blocking: () => db.close(),
  });
  return db;
}

/**
 * Runs `body` in one readwrite transaction over `stores` and resolves once it has committed. Any
 * failure rolls back every write of the body; a full quota (when a request fails, when a put throws,
 * or when the transaction is aborted for it) becomes a QuotaError naming `what`, anything else is rethrown.
 * The body must await each write in turn (the transaction stays open across those awaits), so that
 * no request is left failing with nobody listening.
 */
export async function write<S extends DBSchema, N extends StoreNames<S>[]>(
  db: IDBPDatabase<S>,
  stores: N,
  what: string,
  body: (tx: IDBPTransaction<S, N, 'readwrite'>) => Promise<unknown>,
): Promise<void> {
  const tx = db.transaction(stores, 'readwrite');
  // Heard at once, so an abort while the body runs is never an unhandled rejection.
  const done = tx.done;
  done.catch(() => {});
  try {
    await body(tx);
    await done;
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // A failed request or commit has aborted the transaction already.
    }
    await done.catch(() => {});
    // A quota refused at commit ends the transaction under the body, which then sees only that;
    // the transaction's own error says why.
    const cause = isQuotaError(e) ? e : tx.error;
    throw isQuotaError(cause) ? new QuotaError(what, { cause }) : e;
  }
}
