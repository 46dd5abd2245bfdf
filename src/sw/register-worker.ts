/**
 * Registering the app's service worker with workbox-window, with update-on-consent: a new version
 * installs in the background and then waits; the app is told (`onUpdateReady`) and shows its own
 * prompt; only when the user accepts does the new worker take over, and the page reloads into the
 * new version. Until then every open page keeps running the version it loaded.
 */
import { Workbox } from 'workbox-window';

export interface RegisterWorkerOptions {
  /** Registration scope. @default the script's folder */
  scope?: string;
  /**
   * A new version is installed and waiting. Call `accept` when the user agrees: the waiting worker
   * activates and the page reloads. Not calling it keeps the current version.
   */
  onUpdateReady?: (accept: () => void) => void;
}

/** Register `scriptUrl` (default `/sw.js`); resolves with the Workbox, or undefined without SW support. */
export async function registerWorker(
  scriptUrl = '/sw.js',
  { scope, onUpdateReady }: RegisterWorkerOptions = {},
): Promise<Workbox | undefined> {
  if (!globalThis.navigator?.serviceWorker) return undefined;
  const wb = new Workbox(scriptUrl, scope === undefined ? undefined : { scope });
  wb.addEventListener('waiting', () => {
    onUpdateReady?.(() => {
      // Reload once the new worker controls the page, so page and precache are the same version.
      wb.addEventListener('controlling', () => window.location.reload());
      wb.messageSkipWaiting();
    });
  });
  await wb.register({ immediate: true });
  return wb;
}
