/**
 * What the IndexedDB dataset cache holds, how much room it takes, a way to clear it, and a Use
 * button that trains on a cached dataset again (the user's, without picking the files again).
 */

import {
  BUNDLED_TEXT,
  type CachedDatasetInfo,
  DatasetCache,
  MNIST_NAMES,
  type StorageEstimate,
} from 'kiln/datasets';
import { useCallback, useEffect, useState } from 'react';
import { bytes, count } from '../format';
import { useKiln } from '../store';
import { type DatasetChoice, JARGON_CHOICE, MNIST_CHOICE } from '../store/setup';

/**
 * The dataset a cached record is chosen as: MNIST for its training set, a user's dataset for its
 * `<name>-train` record; null for a test set (it comes with its training set) and anything else.
 */
export function choiceOf(d: CachedDatasetInfo): DatasetChoice | null {
  if (d.namespace === 'builtin')
    return d.name === MNIST_NAMES.train ? MNIST_CHOICE : d.name === BUNDLED_TEXT.name ? JARGON_CHOICE : null;
  const name = d.name.match(/^(.+)-train$/)?.[1];
  return name ? { kind: 'cached', name } : null;
}

/** Props: a value that changes whenever the cache may have changed (a dataset finished loading). */
export interface CacheListProps {
  version: unknown;
}

/** The cache listing, read straight from IndexedDB (the page and the worker share the origin's database). */
export function CacheList({ version }: CacheListProps) {
  const [items, setItems] = useState<CachedDatasetInfo[] | null>(null);
  const [estimate, setEstimate] = useState<StorageEstimate | undefined>();
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      const cache = await DatasetCache.open();
      try {
        setItems(await cache.list());
        setEstimate(await cache.storageEstimate());
      } finally {
        cache.close();
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the re-read trigger.
  useEffect(() => {
    void refresh();
  }, [refresh, version]);
  const clear = async () => {
    setError(null);
    try {
      const cache = await DatasetCache.open();
      try {
        await cache.clear();
      } finally {
        cache.close();
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    await refresh();
  };
  const total = items?.reduce((a, d) => a + d.byteSize, 0) ?? 0;
  const chosen = useKiln((s) => s.datasetChoice);
  const busy = useKiln((s) => s.dataset.status === 'loading');
  const loadMnist = useKiln((s) => s.loadMnist);
  const loadCachedDataset = useKiln((s) => s.loadCachedDataset);
  const loadBundledText = useKiln((s) => s.loadBundledText);
  const use = (c: DatasetChoice) =>
    c.kind === 'cached' ? loadCachedDataset(c.name) : c.id === 'jargon' ? loadBundledText() : loadMnist();
  return (
    <div className="cache">
      <div className="cache-head">
        <h3>Cached in this browser</h3>
        <button type="button" className="danger" onClick={clear} disabled={!items?.length}>
          Clear cache
        </button>
      </div>
      {error && <p className="note error">{error}</p>}
      {items && items.length === 0 && <p className="muted">Nothing cached: the next load downloads again.</p>}
      {items && items.length > 0 && (
        <div className="table-scroll">
          <table className="cache-table" aria-label="Cached datasets">
            <thead>
              <tr>
                <th>Dataset</th>
                <th>Samples</th>
                <th>Shape</th>
                <th>Classes</th>
                <th className="num">Size</th>
                <th>
                  <span className="visually-hidden">Use</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.key}>
                  <td title={`${d.namespace === 'user' ? 'Added from files' : 'Built in'}: ${d.source}`}>
                    {d.name}
                  </td>
                  <td className="num">{count(d.count)}</td>
                  <td className="num">{d.kind === 'text' ? 'text' : d.shape.join('×')}</td>
                  <td className="num">{d.numClasses}</td>
                  <td className="num">{bytes(d.byteSize)}</td>
                  <td>
                    <UseButton choice={choiceOf(d)} chosen={chosen} busy={busy} onUse={use} />
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td colSpan={4}>
                  Total
                  {estimate?.quota !== undefined && (
                    <span className="muted">
                      {' '}
                      · site storage {bytes(estimate.usage ?? 0)} of {bytes(estimate.quota)}
                    </span>
                  )}
                </td>
                <td className="num">{bytes(total)}</td>
                <td />
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </div>
  );
}

/** Use (load) a record's dataset; "In use" for the one loaded; nothing for a record that is not chosen alone. */
function UseButton({
  choice,
  chosen,
  busy,
  onUse,
}: {
  choice: DatasetChoice | null;
  chosen: DatasetChoice;
  busy: boolean;
  onUse: (c: DatasetChoice) => void;
}) {
  if (!choice) return null;
  const name = choice.kind === 'cached' ? choice.name : choice.id === 'jargon' ? 'the Jargon File' : 'MNIST';
  if (JSON.stringify(choice) === JSON.stringify(chosen)) return <span className="muted">In use</span>;
  return (
    <button type="button" disabled={busy} onClick={() => onUse(choice)} aria-label={`Use ${name}`}>
      Use
    </button>
  );
}
