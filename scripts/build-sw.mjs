/**
 * Builds the dxc sync bundle `dist/dxc-sync-sw.js`: src/sw-sync.ts with Dexie and the dxc sync
 * engine, as a classic IIFE script, because `importScripts` cannot load modules. Production
 * builds define `__DXC_DEV__` as false, which strips the worker's debug logging.
 *
 *   node scripts/build-sw.mjs          # minified production bundle
 *   node scripts/build-sw.mjs --dev    # readable, with debug logging
 *
 * vite.config.ts calls buildSyncBundle() itself, so an app build always ships a fresh bundle.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The file name apps load with importScripts, next to their service worker. */
export const SYNC_BUNDLE_FILE = 'dxc-sync-sw.js';

/**
 * Build the bundle; resolves with its text. With `outfile` it is also written there.
 * @param {{dev?: boolean, outfile?: string}} [options]
 */
export async function buildSyncBundle({ dev = false, outfile } = {}) {
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'src/sw-sync.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    minify: !dev,
    sourcemap: false,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    define: { __DXC_DEV__: dev ? 'true' : 'false', 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
    tsconfig: path.join(root, 'tsconfig.sw.json'),
  });
  const text = result.outputFiles[0].text;
  if (outfile) {
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.dirname(outfile), { recursive: true });
    await writeFile(outfile, text);
  }
  return text;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dev = process.argv.includes('--dev');
  const outfile = path.join(root, 'dist', SYNC_BUNDLE_FILE);
  const text = await buildSyncBundle({ dev, outfile });
  console.log(`${path.relative(root, outfile)}: ${(text.length / 1024).toFixed(1)} KiB${dev ? ' (dev)' : ''}`);
}
