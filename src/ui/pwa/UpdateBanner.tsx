/** The offline app's messages: a new version is waiting (reload, or later), or the app now works offline. */
import { useEffect, useSyncExternalStore } from 'react';
import './pwa.css';
import {
  applyUpdate,
  dismissOfflineReady,
  dismissUpdate,
  getPwaState,
  startServiceWorker,
  subscribePwa,
} from './serviceWorker';

const OFFLINE_NOTE_MS = 6000;

/**
 * Registers the service worker when it mounts, then shows its news at the foot of the page. While
 * anything is busy (a run training) the Reload button waits: an update never reloads under a run.
 */
export function UpdateBanner() {
  const { needRefresh, reloadPending, offlineReady, busy } = useSyncExternalStore(subscribePwa, getPwaState);
  useEffect(startServiceWorker, []);
  useEffect(() => {
    if (!offlineReady) return;
    const t = setTimeout(dismissOfflineReady, OFFLINE_NOTE_MS);
    return () => clearTimeout(t);
  }, [offlineReady]);

  if (needRefresh || reloadPending) {
    return (
      <section className="pwa-banner note warn" aria-label="Update" data-testid="pwa-update">
        <p>
          {reloadPending ? 'Kiln was updated in another tab. ' : 'A new version of Kiln is ready. '}
          {busy
            ? 'Reload once training has stopped: a reload now would interrupt the run.'
            : 'Reload to use it; your runs and datasets are kept.'}
        </p>
        <div className="pwa-actions">
          <button
            type="button"
            className="primary"
            disabled={busy}
            title={busy ? 'Available once training has stopped' : undefined}
            onClick={() => void applyUpdate()}
          >
            Reload
          </button>
          {needRefresh && (
            <button type="button" onClick={dismissUpdate}>
              Later
            </button>
          )}
        </div>
      </section>
    );
  }
  if (offlineReady) {
    return (
      <output className="pwa-banner pwa-offline note ok" data-testid="pwa-offline-ready">
        Kiln is installed for offline use: after this visit it works with no network.
      </output>
    );
  }
  return null;
}
