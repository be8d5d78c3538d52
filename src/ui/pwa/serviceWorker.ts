/// <reference types="vite-plugin-pwa/vanillajs" />
/**
 * The page's side of the offline app: registers the service worker that vite.config.ts has
 * vite-plugin-pwa generate, says when a new version is waiting, and applies it only when the user
 * asks and nothing is training. Also puts the dataset files into the worker's runtime cache once,
 * so a fresh offline visit can download them again even without the IndexedDB copy.
 */
import { registerSW } from 'virtual:pwa-register';
import { MNIST_FILES } from 'kiln/datasets';
import { useKiln } from '../store';

/** What the update banner shows. */
export interface PwaState {
  /** A new version is installed and waiting for the user to take it. */
  needRefresh: boolean;
  /**
   * The new version has already taken over this page (the user took it in another tab) but the page
   * was not reloaded, because it was busy or did not ask: it should be reloaded when convenient.
   */
  reloadPending: boolean;
  /** The first install finished: the app now works offline. */
  offlineReady: boolean;
  /** A run is queued, training or paused: a reload now would interrupt it. */
  busy: boolean;
}

/** Must match the runtime cache of the data files in vite.config.ts. */
const DATA_CACHE = 'kiln-datasets';
const UPDATE_CHECK_MS = 60 * 60 * 1000;

let state: PwaState = { needRefresh: false, reloadPending: false, offlineReady: false, busy: false };
const listeners = new Set<() => void>();
let trainingBusy = false;
let started = false;
let reloadRequested = false;
let updateSW: (() => Promise<void>) | undefined;

function patch(p: Partial<PwaState>) {
  const next = { ...state, ...p, busy: trainingBusy };
  if ((Object.keys(next) as (keyof PwaState)[]).every((k) => next[k] === state[k])) return;
  state = next;
  for (const l of listeners) l();
}

/** Subscribes to state changes (useSyncExternalStore's contract); returns the unsubscribe. */
export function subscribePwa(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current state (a stable object until it changes). */
export function getPwaState(): PwaState {
  return state;
}

/**
 * Takes the waiting version: the new service worker takes over, then the page reloads. Does
 * nothing and returns false while busy.
 */
export async function applyUpdate(): Promise<boolean> {
  if (trainingBusy) return false;
  if (state.reloadPending || !updateSW) {
    window.location.reload();
    return true;
  }
  reloadRequested = true;
  await updateSW();
  return true;
}

/** Hides the banner until the next update. */
export function dismissUpdate(): void {
  patch({ needRefresh: false, offlineReady: false });
}

/** Hides the "ready offline" note. */
export function dismissOfflineReady(): void {
  patch({ offlineReady: false });
}

/**
 * Registers the service worker (production builds only; idempotent). Called by the update banner
 * when it mounts.
 */
export function startServiceWorker(): void {
  if (started) return;
  started = true;
  watchTraining();
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // The first controller is the first install claiming the page; any later one is a new version
  // that took over (after this tab's Reload, or another tab's). Reload only if this tab asked and
  // nothing is running; otherwise say so and let the user pick the moment.
  let hadController = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!hadController) {
      hadController = true;
      return;
    }
    if (reloadRequested && !trainingBusy) window.location.reload();
    else patch({ needRefresh: false, reloadPending: true });
  });
  updateSW = registerSW({
    immediate: true,
    onNeedRefresh: () => patch({ needRefresh: true }),
    onOfflineReady: () => patch({ offlineReady: true }),
    // Never reload from here: the controllerchange listener above decides (workbox-window reports
    // an update as such only when a worker controlled the page at registration, not on a first visit).
    onNeedReload: () => {},
    onRegisteredSW: (_url, registration) => {
      if (!registration) return;
      // A tab left open for days still hears about new versions.
      setInterval(() => {
        if (navigator.onLine && !registration.installing) void registration.update().catch(() => {});
      }, UPDATE_CHECK_MS);
    },
    onRegisterError: (e) => console.warn('Kiln: the service worker could not be registered', e),
  });
  void cacheDatasetFiles();
}

/** Runs that are queued, training or paused hold updates back. */
function watchTraining() {
  const busyNow = (s: ReturnType<typeof useKiln.getState>) =>
    s.runs.some((r) => r.state === 'queued' || r.state === 'running' || r.state === 'paused');
  trainingBusy = busyNow(useKiln.getState());
  useKiln.subscribe((s) => {
    const b = busyNow(s);
    if (b !== trainingBusy) {
      trainingBusy = b;
      patch({});
    }
  });
}

/**
 * Copies MNIST's files into the service worker's runtime cache once the page has loaded its dataset
 * (by then the first download is over, and a second fetch is usually answered by the HTTP cache).
 * The page keeps MNIST in IndexedDB and then never requests it again, so without this the worker's
 * cache would stay empty and an offline visit with a cleared IndexedDB could not load MNIST.
 */
async function cacheDatasetFiles() {
  if (!('caches' in window)) return;
  await navigator.serviceWorker.ready;
  await until(() => {
    const s = useKiln.getState().dataset.status;
    return s === 'ready' || s === 'failed';
  });
  await new Promise((r) => setTimeout(r, 2000));
  if (!navigator.onLine) return;
  const dir = new URL('data/mnist/', new URL(import.meta.env.BASE_URL, window.location.href));
  try {
    const cache = await caches.open(DATA_CACHE);
    for (const name of Object.values(MNIST_FILES)) {
      const url = new URL(`${name}.gz`, dir).href;
      if (!(await cache.match(url))) await cache.add(url);
    }
  } catch (e) {
    // Only a second copy: IndexedDB still holds the dataset.
    console.warn('Kiln: could not keep the dataset files for offline use', e);
  }
}

/** Resolves once the store satisfies `ready`. */
function until(ready: () => boolean): Promise<void> {
  if (ready()) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = useKiln.subscribe(() => {
      if (!ready()) return;
      unsubscribe();
      resolve();
    });
  });
}
