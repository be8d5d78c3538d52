/** Writes to the run database from store actions: a full disk becomes a notice, never a lost run. */
import { QuotaError } from '../../storage/indexeddb';
import { link } from '../link';
import type { RunDb } from '../runs/runDb';
import type { KilnState } from './index';

type Get = () => KilnState;

/** Runs a database write; true once it is stored, false (after a notice saying why) when it was not. */
export async function guardWrite(get: Get, write: (db: RunDb) => Promise<void>): Promise<boolean> {
  const db = await link.db();
  if (!db) return false;
  try {
    await write(db);
    return true;
  } catch (e) {
    get().setNotice({
      kind: 'warn',
      title: e instanceof QuotaError ? 'Storage is full' : 'Could not save the run',
      message: e instanceof Error ? e.message : String(e),
    });
    return false;
  }
}

/** Stores a run's record as it stands now. */
export function saveRun(get: Get, id: string): void {
  const run = get().runs.find((r) => r.id === id);
  if (run) void guardWrite(get, (db) => db.put(run));
}
