/**
 * The matmul autotuner's choices, kept in IndexedDB per adapter, so that a new page does not time
 * the same shapes again (about a second on a CPU adapter, milliseconds on a GPU). Losing them
 * costs only that time again, so every storage failure here is ignored.
 */
const DB = 'kiln-autotune';
const STORE = 'choices';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function open(factory: IDBFactory): Promise<IDBDatabase> {
  const r = factory.open(DB, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE);
  return request(r);
}

/**
 * The choices saved for this adapter ({} when none, when storage fails, or when it has not answered
 * within a second: a page must never wait on a cache).
 */
export function loadTuning(
  adapter: string,
  factory: IDBFactory | undefined = globalThis.indexedDB,
): Promise<Record<string, string>> {
  const late = new Promise<Record<string, string>>((resolve) => setTimeout(() => resolve({}), 1000));
  return Promise.race([read(adapter, factory), late]);
}

async function read(adapter: string, factory: IDBFactory | undefined): Promise<Record<string, string>> {
  try {
    if (!factory) return {};
    const db = await open(factory);
    try {
      const saved = await request(db.transaction(STORE).objectStore(STORE).get(adapter));
      return saved && typeof saved === 'object' ? (saved as Record<string, string>) : {};
    } finally {
      db.close();
    }
  } catch {
    return {};
  }
}

/** Saves this adapter's choices (replacing what was there). */
export async function saveTuning(
  adapter: string,
  choices: Record<string, string>,
  factory: IDBFactory | undefined = globalThis.indexedDB,
): Promise<void> {
  try {
    if (!factory) return;
    const db = await open(factory);
    try {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(choices, adapter));
    } finally {
      db.close();
    }
  } catch {
    // A full or unavailable store only means tuning again next time.
  }
}
