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

/** The histogram objects already stored: insideSlice replaces a run's object at each change. */
const storedHistograms = new WeakSet<object>();

/**
 * Stores a run's histograms as they stand, unless they have not changed since they were last
 * stored (`again`: store them even so, as after an undone delete). Storage may drop older runs'
 * to stay within its budget, or not keep these (noted in the slice, for the panel to say so).
 */
export function saveHistograms(get: Get, id: string, again = false): void {
  const histograms = get().histograms[id];
  const run = get().runs.find((r) => r.id === id);
  if (!histograms || !run || (!again && storedHistograms.has(histograms))) return;
  storedHistograms.add(histograms);
  void guardWrite(get, async (db) => {
    const why = await db.putHistograms(id, run.createdAt, histograms);
    if (why) get().markHistogramsNotKept(id, why);
  });
}

/** Stores a run's record as it stands now. */
export function saveRun(get: Get, id: string): void {
  const run = get().runs.find((r) => r.id === id);
  if (run) void guardWrite(get, (db) => db.put(run));
}
