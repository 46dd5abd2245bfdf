/**
 * Size of the dxc client as an app ships it: esbuild bundle of src/client/index.ts with dexie
 * external, minified, then gzip (default level). Budget: 15 KB (DESIGN.md); the official addon's
 * cloud layer is about 78 KB.
 *
 *   node bench/client-size.mjs            prints one line, e.g. "client: 38.2 KB min, 11.9 KB min+gzip"
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

/** Budget for the client without dexie, min+gzip bytes. */
export const CLIENT_BUDGET_BYTES = 15 * 1024;

// Code split like an app bundler does: the entry chunk is what every page loads; chunks behind a
// dynamic import (the service-worker bridge) load only for apps that use them.
const result = await build({
  entryPoints: ['src/client/index.ts'],
  bundle: true,
  splitting: true,
  outdir: 'dist/size-check',
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  external: ['dexie'],
  conditions: ['source'],
  write: false,
  legalComments: 'none',
});
const chunks = result.outputFiles.filter((f) => f.path.endsWith('.js'));
const entry = chunks.find((f) => f.path.endsWith('/index.js'));
const lazy = chunks.filter((f) => f !== entry);
const code = entry.contents;
const gzip = gzipSync(code).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const lazyGzip = lazy.reduce((sum, f) => sum + gzipSync(f.contents).length, 0);
console.log(
  `client: ${kb(code.length)} min, ${kb(gzip)} min+gzip (${gzip} bytes; budget ${kb(CLIENT_BUDGET_BYTES)})` +
    `; loaded on demand: ${kb(lazyGzip)} min+gzip in ${lazy.length} chunk(s)`,
);
if (gzip > CLIENT_BUDGET_BYTES) process.exitCode = 1;
