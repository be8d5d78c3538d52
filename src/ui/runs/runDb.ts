/**
 * Runs kept across visits, in IndexedDB next to the dataset cache: each run's record (config, spec,
 * metrics, last evaluation), its latest checkpoint and its last histograms, in separate stores so
 * listing runs never reads checkpoint bytes. Every write is one transaction; a full quota is the
 * storage layer's QuotaError, with what was stored before intact.
 */
import { read, SchemaError } from '../../schema';
import { type DBSchema, type IDBPDatabase, openDatabase, write } from '../../storage/indexeddb';
import {
  admit,
  HISTOGRAM_BUDGET_BYTES,
  histogramBytes,
  type LedgerEntry,
  ledgerEntry,
  type NotKept,
  readStoredHistograms,
} from '../inside/keptHistograms';
import type { RunHistograms } from '../store/insideSlice';
import type { RunRecord } from '../store/runsSlice';
import { readStoredRun, storedRun } from './storedRun';

interface Schema extends DBSchema {
  // What is read back is untrusted (an older version, a crash mid-write, an extension): unknown.
  runs: { key: IDBValidKey; value: unknown };
  checkpoints: { key: IDBValidKey; value: Uint8Array };
  /** Each run's last histograms (version 2 on). */
  histograms: { key: IDBValidKey; value: unknown };
  /** The histograms' budget ledger: each run's stored bytes and age, or why they were not kept. */
  histogramLedger: { key: IDBValidKey; value: unknown };
}

/** Each run's stored histograms, and why the others' are not there (runs absent from both: never stored). */
export interface KeptHistograms {
  histograms: Record<string, RunHistograms>;
  notKept: Record<string, NotKept>;
}

/** A stored record the page cannot read: its key, why (one line), and the value, to download. */
export interface UnreadableRun {
  key: IDBValidKey;
  problem: string;
  value: unknown;
}

/** The runs database's version: 2 added the histograms and their ledger. */
export const RUN_DB_VERSION = 2;

/** The run store. Open it with RunDb.open(). */
export class RunDb {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** Opens (creating on first use) the runs database. */
  static async open(): Promise<RunDb> {
    const db = await openDatabase<Schema>('kiln-runs', RUN_DB_VERSION, (d, oldVersion) => {
      if (oldVersion < 1) {
        d.createObjectStore('runs', { keyPath: 'id' });
        d.createObjectStore('checkpoints');
      }
      if (oldVersion < 2) {
        d.createObjectStore('histograms');
        d.createObjectStore('histogramLedger');
      }
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

  /**
   * Stores a run's histograms in place of its earlier ones, within HISTOGRAM_BUDGET_BYTES for all
   * runs: the oldest runs' are dropped to make room (and marked so); a run over the budget on its
   * own is marked and not stored. Resolves with why this run's were not kept, or null.
   */
  async putHistograms(
    id: string,
    createdAt: number,
    histograms: RunHistograms,
    budget = HISTOGRAM_BUDGET_BYTES,
  ): Promise<NotKept | null> {
    let outcome: NotKept | null = null;
    await write(this.db, ['histograms', 'histogramLedger'], `the histograms of run ${id}`, async (tx) => {
      const store = tx.objectStore('histogramLedger');
      const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
      const ledger: Record<string, LedgerEntry> = {};
      values.forEach((v, i) => {
        try {
          ledger[String(keys[i])] = read(ledgerEntry, v);
        } catch (e) {
          // A damaged entry counts as the whole budget and the oldest: its run's histograms go first.
          if (!(e instanceof SchemaError)) throw e;
          ledger[String(keys[i])] = { createdAt: 0, bytes: budget };
        }
      });
      const admitted = admit(ledger, id, { createdAt, bytes: histogramBytes(histograms) }, budget);
      outcome = admitted.ledger[id].notKept ?? null;
      for (const other of admitted.drop) await tx.objectStore('histograms').delete(other);
      if (!outcome) await tx.objectStore('histograms').put(histograms, id);
      for (const [key, entry] of Object.entries(admitted.ledger))
        if (entry !== ledger[key]) await store.put(entry, key);
    });
    return outcome;
  }

  /** Every run's stored histograms (those that cannot be read are left out), and why others were not kept. */
  async keptHistograms(): Promise<KeptHistograms> {
    const tx = this.db.transaction(['histograms', 'histogramLedger']);
    const [keys, values, ledgerKeys, ledger] = await Promise.all([
      tx.objectStore('histograms').getAllKeys(),
      tx.objectStore('histograms').getAll(),
      tx.objectStore('histogramLedger').getAllKeys(),
      tx.objectStore('histogramLedger').getAll(),
    ]);
    const kept: KeptHistograms = { histograms: {}, notKept: {} };
    values.forEach((v, i) => {
      try {
        kept.histograms[String(keys[i])] = readStoredHistograms(v);
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
      }
    });
    ledger.forEach((v, i) => {
      try {
        const { notKept } = read(ledgerEntry, v);
        if (notKept) kept.notKept[String(ledgerKeys[i])] = notKept;
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
      }
    });
    return kept;
  }

  /** Forgets a run, its checkpoint and its histograms (an unreadable one by its key). */
  async delete(id: IDBValidKey): Promise<void> {
    const stores = ['runs', 'checkpoints', 'histograms', 'histogramLedger'] as const;
    await write(this.db, [...stores], `run ${id}`, async (tx) => {
      for (const store of stores) await tx.objectStore(store).delete(id);
    });
  }
}
