import { type DBSchema, type IDBPDatabase, openDatabase, write } from '../storage/indexeddb';
import { DatasetError } from './errors';
import type { TextData } from './text';
import { type ImageDataset, type RawDataset, sampleShape, type TabularDataset } from './types';

/**
 * A store of loaded datasets in IndexedDB, so a page reload (or the next visit) trains without
 * fetching or parsing again. Two object stores, both keyed by `<namespace>/<name>`: `meta` holds the
 * small description that list() reads, `arrays` the typed arrays. Every write touches both in one
 * transaction, so a failure (a full quota above all) rolls both back and leaves no half dataset.
 */

/**
 * Whose a dataset is: the app's own (MNIST, fetched from the site) or one made from a user's files.
 * Each is its own key space, so a user's file named like MNIST's never replaces the built-in MNIST.
 */
export type DatasetNamespace = 'builtin' | 'user';

/** What list() tells about a stored dataset without reading its arrays. */
export interface CachedDatasetInfo {
  /** The record's key, `<namespace>/<name>`: unique across namespaces. */
  key: string;
  namespace: DatasetNamespace;
  name: string;
  /** 'text': a text file's UTF-8 bytes, kept as they came (its ids are made again on load, see putText). */
  kind: RawDataset['kind'] | 'text';
  /** One sample's shape: [channels, rows, cols] for images (PyTorch's C, H, W), [numFeatures] for tables, [] for a text. */
  shape: number[];
  /** Samples; a text's characters. */
  count: number;
  /** Classes; a text's vocabulary size. */
  numClasses: number;
  /** Bytes of the stored arrays (samples and labels). */
  byteSize: number;
  /** Where the data came from (a URL, a file name), for the UI to show. */
  source: string;
  /** When it was stored, in milliseconds since the epoch. */
  storedAt: number;
  /** A table's feature names, when it has them. */
  columns?: string[];
  /** The classes' names, where its labels were names. */
  classes?: string[];
}

/** A text file as the cache keeps it: its UTF-8 bytes, under the dataset's name. */
export interface CachedText {
  kind: 'text';
  name: string;
  bytes: Uint8Array;
}

/** The browser's own account of this site's storage (navigator.storage.estimate()). */
export interface StorageEstimate {
  usage?: number;
  quota?: number;
}

interface ArraysRecord {
  key: string;
  samples: Uint8Array | Float32Array;
  labels: Uint8Array | Int32Array;
}

interface Schema extends DBSchema {
  meta: { key: string; value: CachedDatasetInfo };
  arrays: { key: string; value: ArraysRecord };
}

const DB_NAME = 'kiln-datasets';
/** Version 2 keys records by namespace; version 1's keys were bare names. */
const VERSION = 2;

/** The IndexedDB dataset store. Open it with DatasetCache.open(). */
export class DatasetCache {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** Opens (creating on first use) the dataset database. */
  static async open(): Promise<DatasetCache> {
    const db = await openDatabase<Schema>(DB_NAME, VERSION, (d) => {
      // Version 1's records are dropped, not migrated: a user's upload may sit under MNIST's bare
      // name there, and it is only a cache.
      for (const store of [...d.objectStoreNames]) d.deleteObjectStore(store);
      d.createObjectStore('meta', { keyPath: 'key' });
      d.createObjectStore('arrays', { keyPath: 'key' });
    });
    return new DatasetCache(db);
  }

  /** Stores one dataset (replacing one of the same name in the namespace), atomically. */
  async put(
    dataset: RawDataset,
    source = '',
    namespace: DatasetNamespace = 'user',
  ): Promise<CachedDatasetInfo> {
    return (await this.putAll([dataset], source, namespace))[0];
  }

  /**
   * Stores several datasets (a train/test pair) in one transaction: all of them or, on any
   * failure, none, with what was stored before left as it was. A full quota is the storage layer's
   * QuotaError; any other failure a DatasetError.
   */
  async putAll(
    datasets: RawDataset[],
    source = '',
    namespace: DatasetNamespace = 'user',
  ): Promise<CachedDatasetInfo[]> {
    const names = datasets.map((d) => d.name).join(', ');
    const infos = datasets.map((d) => describeDataset(d, source, namespace));
    await write(this.db, ['meta', 'arrays'], names, async (tx) => {
      for (const [i, d] of datasets.entries()) {
        await tx.objectStore('meta').put(infos[i]);
        await tx.objectStore('arrays').put(arraysRecord(d, infos[i].key));
      }
    }).catch((e: unknown) => {
      if (e instanceof DOMException)
        throw new DatasetError(names, `cannot be cached (${e.name}: ${e.message})`, { cause: e });
      throw e;
    });
    return infos;
  }

  /**
   * Stores a text file's UTF-8 bytes (checked and described as `text`) under `text.name`, replacing
   * any dataset of that name in the namespace. The bytes are kept rather than the ids: a quarter of
   * the size, and textData makes the same ids from them in a fraction of a second per MB.
   */
  async putText(
    bytes: Uint8Array,
    text: Pick<TextData, 'name' | 'vocab' | 'train' | 'val'>,
    source = '',
    namespace: DatasetNamespace = 'user',
  ): Promise<CachedDatasetInfo> {
    const info: CachedDatasetInfo = {
      key: keyOf(namespace, text.name),
      namespace,
      name: text.name,
      kind: 'text',
      shape: [],
      count: text.train.length + text.val.length,
      numClasses: [...text.vocab].length,
      byteSize: bytes.byteLength,
      source,
      storedAt: Date.now(),
    };
    await write(this.db, ['meta', 'arrays'], text.name, async (tx) => {
      await tx.objectStore('meta').put(info);
      await tx.objectStore('arrays').put({ key: info.key, samples: tight(bytes), labels: new Uint8Array() });
    }).catch((e: unknown) => {
      if (e instanceof DOMException)
        throw new DatasetError(text.name, `cannot be cached (${e.name}: ${e.message})`, { cause: e });
      throw e;
    });
    return info;
  }

  /** Reads a stored dataset (a text's bytes as `text`), or undefined when there is none of that name in the namespace. */
  async get(
    name: string,
    namespace: DatasetNamespace = 'user',
  ): Promise<RawDataset | CachedText | undefined> {
    const key = keyOf(namespace, name);
    const tx = this.db.transaction(['meta', 'arrays']);
    const [m, a] = await Promise.all([
      tx.objectStore('meta').get(key),
      tx.objectStore('arrays').get(key),
      tx.done,
    ]);
    if (!m || !a) return undefined;
    if (m.kind === 'text') return { kind: 'text', name: m.name, bytes: a.samples as Uint8Array };
    return fromRecords(m, a);
  }

  /** Whether a dataset of that name is stored in the namespace (reads only its description). */
  async has(name: string, namespace: DatasetNamespace = 'user'): Promise<boolean> {
    return (await this.db.count('meta', keyOf(namespace, name))) > 0;
  }

  /** Describes every stored dataset, by key (built-in ones first). */
  async list(): Promise<CachedDatasetInfo[]> {
    return this.db.getAll('meta');
  }

  /** Deletes a stored dataset; says whether there was one. */
  async delete(name: string, namespace: DatasetNamespace = 'user'): Promise<boolean> {
    const key = keyOf(namespace, name);
    let existed = false;
    await write(this.db, ['meta', 'arrays'], name, async (tx) => {
      existed = (await tx.objectStore('meta').count(key)) > 0;
      await tx.objectStore('meta').delete(key);
      await tx.objectStore('arrays').delete(key);
    });
    return existed;
  }

  /** Deletes every stored dataset. */
  async clear(): Promise<void> {
    await write(this.db, ['meta', 'arrays'], 'the dataset cache', async (tx) => {
      await tx.objectStore('meta').clear();
      await tx.objectStore('arrays').clear();
    });
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

function keyOf(namespace: DatasetNamespace, name: string): string {
  return `${namespace}/${name}`;
}

/** The description list() shows for a dataset. */
function describeDataset(d: RawDataset, source: string, namespace: DatasetNamespace): CachedDatasetInfo {
  const samples = d.kind === 'image' ? d.images : d.features;
  return {
    key: keyOf(namespace, d.name),
    namespace,
    name: d.name,
    kind: d.kind,
    shape: sampleShape(d),
    count: d.count,
    numClasses: d.numClasses,
    byteSize: samples.byteLength + d.labels.byteLength,
    source,
    storedAt: Date.now(),
    ...(d.kind === 'tabular' && d.columns ? { columns: d.columns } : {}),
    ...(d.classes ? { classes: d.classes } : {}),
  };
}

function arraysRecord(d: RawDataset, key: string): ArraysRecord {
  return {
    key,
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
    if (m.classes) image.classes = m.classes;
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
  if (m.columns) table.columns = m.columns;
  if (m.classes) table.classes = m.classes;
  return table;
}
