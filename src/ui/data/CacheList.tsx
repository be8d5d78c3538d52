/** What the IndexedDB dataset cache holds, how much room it takes, and a way to clear it. */
import { useCallback, useEffect, useState } from 'react';
import { type CachedDatasetInfo, DatasetCache, type StorageEstimate } from '../../data/cache';
import { bytes, count } from '../format';

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
        <table className="cache-table" aria-label="Cached datasets">
          <thead>
            <tr>
              <th>Dataset</th>
              <th>Samples</th>
              <th>Shape</th>
              <th>Classes</th>
              <th className="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.key}>
                <td title={`${d.namespace === 'user' ? 'From your files' : 'Built in'}: ${d.source}`}>
                  {d.name}
                </td>
                <td className="num">{count(d.count)}</td>
                <td className="num">{d.shape.join('×')}</td>
                <td className="num">{d.numClasses}</td>
                <td className="num">{bytes(d.byteSize)}</td>
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
            </tr>
          </tfoot>
        </table>
      )}
    </div>
  );
}
