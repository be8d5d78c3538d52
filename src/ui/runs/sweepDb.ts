/**
 * Sweeps kept across visits: each sweep's queue (its runs' names and configs, which of them have
 * started, the one in hand) and its state, in IndexedDB beside the runs, so a reload goes on where
 * the sweep was. Each run of a sweep is an ordinary run record (runDb.ts) tagged with its sweep;
 * this keeps only the queue. Read back as untrusted data through the schema, as run records are.
 */

import { MAX_SWEEP_RUNS, trainConfig } from 'kiln/config';
import { type ModelSpec, modelSpec } from 'kiln/spec';
import {
  array,
  count,
  nullable,
  number,
  object,
  oneOf,
  read,
  type Schema,
  SchemaError,
  string,
} from '../../schema';
import { type DBSchema, type IDBPDatabase, openDatabase, write } from '../../storage/indexeddb';
import type { TrainConfig } from '../../worker/protocol';

/** A sweep's state: training its runs, paused or stopped by the user (its queue kept), or done. */
export type SweepState = 'running' | 'paused' | 'stopped' | 'finished';

/** One run of a sweep's queue. */
export interface SweepQueueItem {
  /** Its name, from its settings ('lr=0.001,seed=2'). */
  name: string;
  config: TrainConfig;
  /** Its run record's id once it has started; null before. */
  runId: string | null;
}

/** A sweep: its runs in order, the one in hand, and its state. */
export interface SweepRecord {
  id: string;
  /** The sweep's name: the settings it varies ('lr × seed'). */
  name: string;
  createdAt: number;
  model: ModelSpec;
  /** The dataset its runs train on. */
  dataset: string;
  runs: SweepQueueItem[];
  /** The run in hand (training, paused or next to start); runs.length once all are done. */
  current: number;
  state: SweepState;
}

const sweepRecord: Schema<SweepRecord> = object({
  id: string(200),
  name: string(1000),
  createdAt: number(),
  model: modelSpec,
  dataset: string(1000),
  runs: array(
    object({ name: string(1000), config: trainConfig, runId: nullable(string(200)) }),
    MAX_SWEEP_RUNS,
  ),
  current: count(),
  state: oneOf(['running', 'paused', 'stopped', 'finished']),
});

interface Db extends DBSchema {
  sweeps: { key: string; value: unknown };
}

/** The sweep store. Open it with SweepDb.open(). */
export class SweepDb {
  private constructor(private readonly db: IDBPDatabase<Db>) {}

  /** Opens (creating on first use) the sweeps database. */
  static async open(): Promise<SweepDb> {
    return new SweepDb(
      await openDatabase<Db>('kiln-sweeps', 1, (d) => {
        d.createObjectStore('sweeps', { keyPath: 'id' });
      }),
    );
  }

  /** Every stored sweep that can be read, oldest first; one that cannot is skipped (its runs keep their records). */
  async list(): Promise<SweepRecord[]> {
    const out: SweepRecord[] = [];
    for (const raw of await this.db.getAll('sweeps')) {
      try {
        out.push(read(sweepRecord, raw, 'sweep'));
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
      }
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Stores (or replaces) a sweep. */
  async put(sweep: SweepRecord): Promise<void> {
    await write(this.db, ['sweeps'], `sweep ${sweep.name}`, (tx) => tx.objectStore('sweeps').put(sweep));
  }
}
