/**
 * Builds an app shell with the dxc service worker (vite-plugin-pwa, `strategies: 'injectManifest'`,
 * src/sw.ts as a classic IIFE worker) and the sync bundle `dxc-sync-sw.js` next to it.
 *
 * The app is configurable through the environment, so the starter and the service worker tests
 * share this file:
 *   DXC_APP_ROOT     folder holding the app's index.html              @default starter
 *   DXC_APP_OUT_DIR  output folder                                    @default dist/starter
 *   VITE_*           exposed to the app as import.meta.env.VITE_*    (Vite's own rule)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { buildSyncBundle, SYNC_BUNDLE_FILE } from './scripts/build-sw.mjs';
import { manifestFor } from './starter/pwa-manifest.js';

const repo = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.resolve(repo, process.env.DXC_APP_ROOT ?? 'starter');
const outDir = path.resolve(repo, process.env.DXC_APP_OUT_DIR ?? 'dist/starter');

/** Emits the freshly built sync bundle into the app, where src/sw.ts importScripts it. */
function dxcSyncBundle(): Plugin {
  let dev = false;
  return {
    name: 'dxc-sync-bundle',
    apply: 'build',
    configResolved(config) {
      dev = config.mode === 'development';
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: SYNC_BUNDLE_FILE, source: await buildSyncBundle({ dev }) });
    },
  };
}

export default defineConfig({
  root: appRoot,
  // The dxc sources resolve through the package's `source` export condition.
  resolve: { conditions: ['source', 'module', 'browser', 'production'] },
  build: { target: 'es2022', outDir, emptyOutDir: true },
  plugins: [
    dxcSyncBundle(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: path.join(repo, 'src'),
      filename: 'sw.ts',
      injectRegister: false, // the app registers through dxc's registerWorker (update-on-consent)
      manifest: manifestFor(appRoot), // starter/pwa-manifest.ts (issue 7)
      injectManifest: {
        rollupFormat: 'iife', // importScripts() is illegal in module workers
        globPatterns: ['**/*.{js,css,html,svg,png,woff2}'],
        // Imported scripts are cached and update-checked by the browser with the worker itself.
        globIgnores: [SYNC_BUNDLE_FILE],
      },
      devOptions: { enabled: false },
    }),
  ],
});
