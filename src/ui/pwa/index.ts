/**
 * The offline app: the service worker's registration and update banner. A reload waits while any
 * run in the store is queued, training or paused (serviceWorker.ts watches the store for that).
 */
export { UpdateBanner } from './UpdateBanner';
