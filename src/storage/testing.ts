/**
 * Test helpers for the IndexedDB stores: a fresh fake-indexeddb per test, and a full disk on demand.
 * Node only (fake-indexeddb is a devDependency).
 */
import 'fake-indexeddb/auto';
import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Gives each test of the file (or describe block) that calls it an empty IndexedDB of its own, and
 * undoes every stubbed global and spy (a simulated full disk) after it.
 */
export function withFreshIndexedDB(): void {
  beforeEach(() => {
    vi.stubGlobal('indexedDB', new IDBFactory());
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });
}

/** The internals of fake-indexeddb's transaction the quota simulation drives, as the spec names its steps. */
interface FakeTransaction {
  _execRequestAsync(r: { operation: () => unknown; source: unknown }): IDBRequest;
  _abort(errName: string): void;
}

/** How a full disk shows itself to a put (browsers differ). */
export type FullDiskMode = 'request' | 'commit' | 'throw';

/**
 * Makes puts into the object store `storeName` fail as a full disk does: 'request' fails the put's
 * request with QuotaExceededError (which aborts the transaction with it), 'commit' lets the put
 * succeed and then aborts the transaction with QuotaExceededError (how Chrome reports a quota hit
 * at commit), 'throw' throws from put() itself. Undo with vi.restoreAllMocks().
 */
export function simulateFullDisk(storeName: string, mode: FullDiskMode): void {
  const realPut = IDBObjectStore.prototype.put;
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
    if (this.name !== storeName) return realPut.call(this, value, key);
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const tx = this.transaction as unknown as FakeTransaction;
    if (mode === 'throw') throw quota;
    if (mode === 'request') {
      return tx._execRequestAsync({
        operation: () => {
          throw quota;
        },
        source: this,
      });
    }
    const req = realPut.call(this, value, key);
    req.addEventListener('success', () => tx._abort('QuotaExceededError'));
    return req;
  });
}

/** Every full-disk mode, for tests that try each. */
export const FULL_DISK_MODES: FullDiskMode[] = ['request', 'commit', 'throw'];
