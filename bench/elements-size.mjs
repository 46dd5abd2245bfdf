// Size of the elements bundle without Lit (budget: 8 KB min+gzip, DESIGN.md "Performance budgets").
// Bundles src/elements/index.ts (all three elements, the controller, events, styles, the client's
// tiny default-db registry) with Lit and Dexie external, minifies it and gzips it at the default level.
// Usage: node bench/elements-size.mjs      (prints the figures; exits 1 when over budget)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The budget, in bytes of gzip over the minified bundle. @default 8192 (8 KB) */
export const ELEMENTS_BUDGET_BYTES = 8 * 1024;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function measure(external) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/elements/index.ts'],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    conditions: ['source', 'production'],
    external,
    logLevel: 'error',
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gzip: gzipSync(code).length };
}

const lit = ['lit', 'lit/*', 'lit-html', 'lit-html/*', 'lit-element', 'lit-element/*', '@lit/reactive-element', '@lit/reactive-element/*'];
const withoutLit = await measure([...lit, '@lit/context', 'dexie']);
const withContext = await measure([...lit, 'dexie']);

const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
process.stdout.write(
  `elements without lit (lit, @lit/* and dexie external): ${withoutLit.min} B min, ${withoutLit.gzip} B min+gzip (${kb(withoutLit.gzip)})\n` +
    `elements with @lit/context bundled:                  ${withContext.min} B min, ${withContext.gzip} B min+gzip (${kb(withContext.gzip)})\n` +
    `budget: ${kb(ELEMENTS_BUDGET_BYTES)} min+gzip -> ${withoutLit.gzip <= ELEMENTS_BUDGET_BYTES ? 'within' : 'OVER'}\n`,
);
process.exitCode = withoutLit.gzip <= ELEMENTS_BUDGET_BYTES ? 0 : 1;
