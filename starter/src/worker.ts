/**
 * Registers the app's service worker (built by vite-plugin-pwa from dxc's src/sw.ts), with
 * update-on-consent: a new version waits until the user clicks "Update", then the page reloads
 * into it. Until then every open window keeps the version it loaded.
 */
import { Workbox } from 'workbox-window';

export async function registerAppWorker(banner: HTMLElement): Promise<void> {
  if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return;
  const wb = new Workbox('/sw.js');
  wb.addEventListener('waiting', () => {
    banner.hidden = false;
    banner.querySelector('button')!.addEventListener('click', () => {
      wb.addEventListener('controlling', () => window.location.reload());
      wb.messageSkipWaiting();
    });
  });
  await wb.register({ immediate: true });
}
