import { DatasetError } from './errors';
import type { ImageDataset, RawDataset, TabularDataset } from './types';

/**
 * A store of loaded datasets in IndexedDB, so a page reload (or the next visit) trains without
 * fetching or parsing again. Two object stores, both keyed by dataset name: `meta` holds the small
 * description that list() reads, `arrays` the typed arrays. Every write touches both in one
 * transaction, so a failure (a full quota above all) rolls both back and leaves no half dataset.
 */

/** What list() tells about a stored dataset without reading its arrays. */
export interface CachedDatasetInfo {
  name: string;
  kind: RawDataset['kind'];
  /** One sample's shape: [channels, rows, cols] for images (PyTorch's C, H, W), [numFeatures] for tables. */
  shape: number[];
  count: number;
  numClasses: number;
  /** Bytes of the stored arrays (samples and labels). */
  byteSize: number;
  /** Where the data came from (a URL, a file name), for the UI to show. */
  source: string;
  /** When it was stored, in milliseconds since the epoch. */
  storedAt: number;
}

/** Where to keep the cache; the factory is injectable so tests can pass fake-indexeddb's. */
export interface DatasetCacheOptions {
  /** The IndexedDB implementation; by default the global `indexedDB`. */
  factory?: IDBFactory;
  /** The database name; by default `kiln-datasets`. */
  dbName?: string;
}

/** The browser's own account of this site's storage (navigator.storage.estimate()). */
export interface StorageEstimate {
  usage?: number;
  quota?: number;
}

interface ArraysRecord {
  name: string;
  samples: Uint8Array | Float32Array;
  labels: Uint8Array | Int32Array;
}

const META = 'meta';
const ARRAYS = 'arrays';

/** The IndexedDB dataset store. Open it with DatasetCache.open(). */
export class DatasetCache {
  private constructor(private readonly db: IDBDatabase) {
    // Another tab upgrading the schema waits for every open connection to close; let it.
    db.onversionchange = () => db.close();
  }

  /** Opens (creating on first use) the dataset database. */
  static async open(options: DatasetCacheOptions = {}): Promise<DatasetCache> {
    const factory = options.factory ?? globalThis.indexedDB;
    const dbName = options.dbName ?? 'kiln-datasets';
    if (factory === undefined)
      throw new DatasetError(dbName, 'cannot cache datasets: IndexedDB is not available');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(dbName, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(META, { keyPath: 'name' });
        request.result.createObjectStore(ARRAYS, { keyPath: 'name' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () =>
        reject(
          new DatasetError(dbName, 'cannot open the dataset cache: another tab holds an older version open'),
        );
    }).catch((e: unknown) => {
      if (e instanceof DatasetError) throw e;
      throw new DatasetError(dbName, `cannot open the dataset cache (${errorText(e)})`, { cause: e });
    });
    return new DatasetCache(db);
  }

  /** Stores one dataset (replacing one of the same name), atomically. */
  async put(dataset: RawDataset, source = ''): Promise<CachedDatasetInfo> {
    return (await this.putAll([dataset], source))[0];
  }

  /**
   * Stores several datasets (a train/test pair) in one transaction: all of them or, on any
   * failure, none, with what was stored before left as it was. A full quota is a DatasetError
   * saying storage is full.
   */
  async putAll(datasets: RawDataset[], source = ''): Promise<CachedDatasetInfo[]> {
    const names = datasets.map((d) => d.name).join(', ');
    const infos = datasets.map((d) => describeDataset(d, source));
    const tx = this.db.transaction([META, ARRAYS], 'readwrite');
    const done = transactionDone(tx);
    try {
      const meta = tx.objectStore(META);
      const arrays = tx.objectStore(ARRAYS);
      datasets.forEach((d, i) => {
        meta.put(infos[i]);
        arrays.put(arraysRecord(d));
      });
    } catch (e) {
      // A put can throw synchronously (a value that cannot be cloned, a quota checked up front):
      // abort so the writes already queued in this transaction are dropped too.
      tx.abort();
      await done.catch(() => {});
      throw storageError(e, names);
    }
    await done.catch((e: unknown) => {
      throw storageError(e, names);
    });
    return infos;
  }

  /** Reads a stored dataset, or undefined when there is none of that name. */
  async get(name: string): Promise<RawDataset | undefined> {
    const tx = this.db.transaction([META, ARRAYS], 'readonly');
    const info = tx.objectStore(META).get(name);
    const arrays = tx.objectStore(ARRAYS).get(name);
    await transactionDone(tx).catch((e: unknown) => {
      throw new DatasetError(name, `cannot be read from the dataset cache (${errorText(e)})`, { cause: e });
    });
    const m = info.result as CachedDatasetInfo | undefined;
    const a = arrays.result as ArraysRecord | undefined;
    return m && a ? fromRecords(m, a) : undefined;
  }

  /** Whether a dataset of that name is stored (reads only its description). */
  async has(name: string): Promise<boolean> {
    const tx = this.db.transaction(META, 'readonly');
    const n = tx.objectStore(META).count(name);
    await transactionDone(tx);
    return n.result > 0;
  }

  /** Describes every stored dataset, by name. */
  async list(): Promise<CachedDatasetInfo[]> {
    const tx = this.db.transaction(META, 'readonly');
    const all = tx.objectStore(META).getAll();
    await transactionDone(tx);
    return (all.result as CachedDatasetInfo[]).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  /** Deletes a stored dataset; says whether there was one. */
  async delete(name: string): Promise<boolean> {
    const tx = this.db.transaction([META, ARRAYS], 'readwrite');
    const existed = tx.objectStore(META).count(name);
    tx.objectStore(META).delete(name);
    tx.objectStore(ARRAYS).delete(name);
    await transactionDone(tx);
    return existed.result > 0;
  }

  /** Deletes every stored dataset. */
  async clear(): Promise<void> {
    const tx = this.db.transaction([META, ARRAYS], 'readwrite');
    tx.objectStore(META).clear();
    tx.objectStore(ARRAYS).clear();
    await transactionDone(tx);
  }

  /** The bytes of every stored dataset's arrays together. */
  async totalBytes(): Promise<number> {
    return (await this.list()).reduce((sum, d) => sum + d.byteSize, 0);
  }

  /** The browser's estimate of this site's usage and quota, where navigator.storage exists. */
  async storageEstimate(): Promise<StorageEstimate | undefined> {
    const storage = globalThis.navigator?.storage;
    if (storage?.estimate === undefined) return undefined;
    const { usage, quota } = await storage.estimate();
    return { usage, quota };
  }

  /** Closes the database connection. */
  close(): void {
    this.db.close();
  }
}

/** The description list() shows for a dataset. */
function describeDataset(d: RawDataset, source: string): CachedDatasetInfo {
  const samples = d.kind === 'image' ? d.images : d.features;
  return {
    name: d.name,
    kind: d.kind,
    shape: d.kind === 'image' ? [d.channels, d.rows, d.cols] : [d.numFeatures],
    count: d.count,
    numClasses: d.numClasses,
    byteSize: samples.byteLength + d.labels.byteLength,
    source,
    storedAt: Date.now(),
  };
}

function arraysRecord(d: RawDataset): ArraysRecord {
  return {
    name: d.name,
    samples: tight(d.kind === 'image' ? d.images : d.features),
    labels: tight(d.labels),
  };
}

/**
 * Structured clone copies a view's whole underlying buffer, so a view into a larger one (the IDX
 * parser returns views past the header) is copied to its own buffer first.
 */
function tight<T extends Uint8Array | Int32Array | Float32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

function fromRecords(m: CachedDatasetInfo, a: ArraysRecord): RawDataset {
  if (m.kind === 'image') {
    const image: ImageDataset = {
      kind: 'image',
      name: m.name,
      images: a.samples as Uint8Array,
      labels: a.labels as Uint8Array,
      count: m.count,
      rows: m.shape[1],
      cols: m.shape[2],
      channels: 1,
      numClasses: m.numClasses,
    };
    return image;
  }
  const table: TabularDataset = {
    kind: 'tabular',
    name: m.name,
    features: a.samples as Float32Array,
    labels: a.labels as Int32Array,
    count: m.count,
    numFeatures: m.shape[0],
    numClasses: m.numClasses,
  };
  return table;
}

/**
 * Settles when the transaction commits; rejects with its error when it aborts. Request results are
 * read after this, once the transaction has committed, so no per-request promise is left unsettled.
 */
function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('The transaction was aborted', 'AbortError'));
  });
}

/** Whether an error is the browser's "storage quota exceeded" (22 is its legacy DOMException code). */
export function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException ? e.name === 'QuotaExceededError' || e.code === 22 : false;
}

function storageError(e: unknown, names: string): DatasetError {
  if (isQuotaError(e)) {
    return new DatasetError(
      names,
      'cannot be cached: storage is full (this site has used its quota). Datasets already stored are unchanged; ' +
        'delete some from the cache, then try again.',
      { cause: e },
    );
  }
  return new DatasetError(names, `cannot be cached (${errorText(e)})`, { cause: e });
}

function errorText(e: unknown): string {
  if (e instanceof DOMException || e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
