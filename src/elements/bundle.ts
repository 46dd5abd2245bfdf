/**
 * The entry of the prebuilt `dist/dxc.js`: the client, the elements, Lit and Dexie in one ES module,
 * for pages without a bundler:
 *
 *     <script type="module">
 *       import { Dexie, dxc } from '/dxc.js';
 *       const db = new Dexie('app', { addons: [dxc] });
 *     </script>
 *     <dxc-user-menu></dxc-user-menu> <dxc-sync-indicator></dxc-sync-indicator>
 *
 * Loading it defines the elements and mounts the default `<dxc-login>` (see auto-mount.ts).
 */
export * from '../client/index.js';
export { default } from '../client/index.js';
export * from './index.js';
export { Dexie, liveQuery } from 'dexie';
