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

const result = await build({
  entryPoints: ['src/client/index.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  external: ['dexie'],
  conditions: ['source'],
  write: false,
  legalComments: 'none',
});
const code = result.outputFiles[0].contents;
const gzip = gzipSync(code).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`client: ${kb(code.length)} min, ${kb(gzip)} min+gzip (${gzip} bytes; budget ${kb(CLIENT_BUDGET_BYTES)})`);
if (gzip > CLIENT_BUDGET_BYTES) process.exitCode = 1;
