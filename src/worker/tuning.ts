/**
 * The matmul autotuner's choices, kept in IndexedDB per adapter, so that a new page does not time
 * the same shapes again (about a second on a CPU adapter, milliseconds on a GPU). Losing them
 * costs only that time again, so every storage failure here is ignored.
 */
import { type DBSchema, openDatabase, write } from '../storage/indexeddb';

interface Schema extends DBSchema {
  /** Keyed by the tuner's adapterKey. */
  choices: { key: string; value: Record<string, string> };
}

const open = () => openDatabase<Schema>('kiln-autotune', 1, (db) => db.createObjectStore('choices'));

/**
 * The choices saved for this adapter ({} when none, when storage fails, or when it has not answered
 * within a second: a page must never wait on a cache).
 */
export function loadTuning(adapter: string): Promise<Record<string, string>> {
  const late = new Promise<Record<string, string>>((resolve) => setTimeout(() => resolve({}), 1000));
  return Promise.race([read(adapter), late]);
}

async function read(adapter: string): Promise<Record<string, string>> {
  try {
    const db = await open();
    try {
      const saved = await db.get('choices', adapter);
      return saved && typeof saved === 'object' ? saved : {};
    } finally {
      db.close();
    }
  } catch {
    return {};
  }
}

/** Saves this adapter's choices (replacing what was there). */
export async function saveTuning(adapter: string, choices: Record<string, string>): Promise<void> {
  try {
    const db = await open();
    try {
      await write(db, ['choices'], 'the autotuner choices', (tx) =>
        tx.objectStore('choices').put(choices, adapter),
      );
    } finally {
      db.close();
    }
  } catch {
    // A full or unavailable store only means tuning again next time.
  }
}
