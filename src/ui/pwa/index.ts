/**
 * The offline app: the service worker's registration and update banner. The training UI tells it
 * when a reload must wait with setBusy(true) / setBusy(false).
 */
export { isBusy, setBusy } from './serviceWorker';
export { UpdateBanner } from './UpdateBanner';
