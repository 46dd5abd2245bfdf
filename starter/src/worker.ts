/**
 * Registers the app's service worker (built by vite-plugin-pwa from dxc's src/sw.ts) with dxc's
 * `registerWorker`, which brings update-on-consent: a new version waits until the user clicks
 * "Update", then the page reloads into it. Until then every open window keeps the version it loaded.
 */
import { registerWorker } from 'dxc/sw';

export async function registerAppWorker(banner: HTMLElement): Promise<void> {
  // The dev server builds no worker (vite-plugin-pwa's devOptions are off): nothing to register.
  if (!import.meta.env.PROD) return;
  await registerWorker('/sw.js', {
    onUpdateReady(accept) {
      banner.hidden = false;
      banner.querySelector('button')!.addEventListener('click', accept, { once: true });
    },
  });
}
