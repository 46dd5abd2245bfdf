/**
 * Builds the app into dist/ as an installable PWA: vite-plugin-pwa compiles src/sw.ts (Workbox
 * precaching + dxc's background and periodic sync) and writes the web app manifest; dxc's sync
 * bundle `dxc-sync-sw.js` is copied next to the worker, which loads it with importScripts.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { manifestFor } from './pwa-manifest.js';

const root = path.dirname(fileURLToPath(import.meta.url));
const SYNC_BUNDLE_FILE = 'dxc-sync-sw.js';

function dxcSyncBundle(): Plugin {
  return {
    name: 'dxc-sync-bundle',
    apply: 'build',
    async generateBundle() {
      const dxcRoot = path.dirname(createRequire(import.meta.url).resolve('dxc/package.json'));
      this.emitFile({ type: 'asset', fileName: SYNC_BUNDLE_FILE, source: await readFile(path.join(dxcRoot, 'dist', SYNC_BUNDLE_FILE)) });
    },
  };
}

export default defineConfig({
  build: { target: 'es2022' },
  plugins: [
    dxcSyncBundle(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // src/worker.ts registers it, with update-on-consent
      manifest: manifestFor(root),
      injectManifest: {
        rollupFormat: 'iife', // importScripts() is illegal in module workers
        globPatterns: ['**/*.{js,css,html,svg,png,woff2}'],
        globIgnores: [SYNC_BUNDLE_FILE],
      },
    }),
  ],
});
