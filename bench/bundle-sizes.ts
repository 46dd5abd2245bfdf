/**
 * Bundle sizes, min+gzip (gzip default level over esbuild's minified ES2022 output), side by side:
 * the dxc client without dexie, the elements without lit, dist/dxc.js (client + elements + Lit +
 * Dexie, built to a temp file with scripts/build-elements.mjs), the service-worker sync bundle
 * (scripts/build-sw.mjs), and dexie-cloud-addon with all its dependencies but dexie.
 * Budgets (DESIGN.md): client ≤ 15 KB, elements ≤ 8 KB.
 *
 *   node --import tsx --conditions=source bench/bundle-sizes.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { Report } from './lib/report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1024;
const LIT = ['lit', 'lit/*', 'lit-html', 'lit-html/*', 'lit-element', 'lit-element/*', '@lit/reactive-element', '@lit/reactive-element/*', '@lit/context'];

/** esbuild options every measurement shares: minified ES2022 for browsers, TS sources of dxc. */
const MINIFIED: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  conditions: ['source', 'production'],
  write: false,
  legalComments: 'none',
  logLevel: 'error',
};

async function bundle(contents: string, external: string[]): Promise<Uint8Array> {
  const result = await build({ ...MINIFIED, stdin: { contents, resolveDir: root, loader: 'ts' }, external });
  return result.outputFiles![0]!.contents;
}

/**
 * What every page loads of `entry`, code split as app bundlers do: the entry chunk and the chunks it
 * imports statically, measured as one file (an app's bundler puts them in its own main chunk), and
 * apart the parts behind a dynamic import (the login flow, proofs, the service-worker bridge), which
 * load on first use.
 */
async function upFront(entry: string, external: string[]): Promise<{ code: Uint8Array; lazyGzip: number }> {
  const result = await build({ ...MINIFIED, entryPoints: [entry], splitting: true, outdir: 'dist/size-check', external, metafile: true });
  const outputs = result.metafile!.outputs;
  const files = new Map(result.outputFiles!.map((file) => [path.relative(root, file.path), file.contents]));
  const eager = new Set<string>();
  const visit = (chunk: string): void => {
    if (eager.has(chunk)) return;
    eager.add(chunk);
    for (const { path: imported, kind } of outputs[chunk]!.imports) if (kind === 'import-statement' && outputs[imported]) visit(imported);
  };
  visit(Object.keys(outputs).find((chunk) => outputs[chunk]!.entryPoint === entry)!);
  const lazyGzip = [...files].filter(([chunk]) => !eager.has(chunk) && chunk.endsWith('.js')).reduce((sum, [, code]) => sum + gzipSync(code).length, 0);
  return { code: Buffer.concat([...eager].map((chunk) => files.get(chunk)!)), lazyGzip };
}

const report = new Report('bundle-sizes', 'node --import tsx --conditions=source bench/bundle-sizes.ts');
const sizes: Record<string, { min: number; gzip: number }> = {};
function measure(name: string, code: Uint8Array, budgetKb?: number): void {
  const gzip = gzipSync(code).length;
  sizes[name] = { min: code.length, gzip };
  report.add({ name: `${name} (min ${(code.length / KB).toFixed(1)} KB)`, value: gzip / KB, unit: 'KB min+gzip', ...(budgetKb ? { budget: budgetKb } : {}) });
}

const client = await upFront('src/client/index.ts', ['dexie']);
measure('dxc client, without dexie, loaded up front', client.code, 15);
report.add({ name: 'dxc client: parts loaded on first use (login flow, proofs, push splitter, lost-write check, service-worker bridge)', value: client.lazyGzip / KB, unit: 'KB min+gzip' });
measure('dxc elements, without lit, @lit/context and dexie', await bundle("export * from './src/elements/index.ts';", [...LIT, 'dexie']), 8);
measure('dexie-cloud-addon 4.4.14 with its dependencies, without dexie', await bundle("export * from 'dexie-cloud-addon'; export { default } from 'dexie-cloud-addon';", ['dexie']));
measure('dexie alone', await bundle("export * from 'dexie'; export { default } from 'dexie';", []));

const tmp = mkdtempSync(path.join(tmpdir(), 'dxc-bench-size-'));
try {
  const { buildBundle } = await import('../scripts/build-elements.mjs' as string);
  const outfile = await buildBundle(path.join(tmp, 'dxc.js'));
  measure('dist/dxc.js (client + elements + Lit + Dexie)', readFileSync(outfile));
  const { buildSyncBundle } = await import('../scripts/build-sw.mjs' as string);
  measure('dist/dxc-sync-sw.js (sync bundle, Dexie inside)', Buffer.from(await buildSyncBundle({})));
  measure('dexie + dexie-cloud-addon (what an app using the official addon ships)', await bundle("export * from 'dexie'; export { default as Dexie } from 'dexie'; export { default } from 'dexie-cloud-addon';", []));
  measure('dexie + dxc client (what an app using dxc ships)', await bundle("export * from 'dexie'; export { default as Dexie } from 'dexie'; export { default } from './src/client/index.ts';", []));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const clientGzip = sizes['dxc client, without dexie, loaded up front']!.gzip;
const addon = sizes['dexie-cloud-addon 4.4.14 with its dependencies, without dexie']!.gzip;
report.add({ name: 'ratio addon / dxc client (min+gzip)', value: addon / clientGzip, unit: '×' });
report.note('bytes', sizes);
report.write();
