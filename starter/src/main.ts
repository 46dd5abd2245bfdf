/**
 * The dxc starter: a chat room whose messages queue offline and go out by background sync, and a
 * weather report that periodic sync keeps fresh for offline starts. Importing `dxc/elements`
 * defines `<dxc-sync-indicator>` and `<dxc-user-menu>` and mounts the default `<dxc-login>`.
 */
import 'dxc/elements';
import './styles.css';
import { mountChat } from './chat.js';
import { db } from './db.js';
import { mountWeather } from './weather.js';
import { registerAppWorker } from './worker.js';

mountChat(document.querySelector<HTMLElement>('#chat')!);
mountWeather(document.querySelector<HTMLElement>('#weather')!);

const offline = document.querySelector<HTMLElement>('#offline')!;
const showNetwork = () => (offline.hidden = navigator.onLine);
addEventListener('online', showNetwork);
addEventListener('offline', showNetwork);
showNetwork();

const ready = registerAppWorker(document.querySelector<HTMLElement>('#update')!).catch((error: unknown) => {
  console.warn('service worker registration failed', error);
});

/** Handles for end-to-end tests and the curious (`starter` in the console). */
declare global {
  interface Window {
    starter: { db: typeof db; ready: Promise<void> };
  }
}
window.starter = { db, ready };
