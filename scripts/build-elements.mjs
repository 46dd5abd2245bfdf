// Builds what the elements ship besides tsc's per-module output (dist/elements/*.js):
// - dist/dxc.js: one ES module with the client, the elements, Lit and Dexie, for
//   `<script type=module src=".../dxc.js">` pages without a bundler;
// - dist/custom-elements.json: the manifest, generated from the elements' JSDoc by
//   @custom-elements-manifest/analyzer (config: custom-elements-manifest.config.mjs).
// Usage: node scripts/build-elements.mjs [--no-manifest]
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles dist/dxc.js; exported for tests that need a fresh bundle. */
export async function buildBundle(outfile = path.join(root, 'dist', 'dxc.js')) {
  await build({
    absWorkingDir: root,
    entryPoints: ['src/elements/bundle.ts'],
    outfile,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    // `source` reads dxc/protocol from its TS sources; `production` picks Lit's production build.
    conditions: ['source', 'production'],
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return outfile;
}

/** Writes dist/custom-elements.json. */
export function buildManifest() {
  const cli = path.join(root, 'node_modules', '@custom-elements-manifest', 'analyzer', 'cem.js');
  execFileSync(process.execPath, [cli, 'analyze', '--config', 'custom-elements-manifest.config.mjs', '--quiet'], {
    cwd: root,
    stdio: 'inherit',
  });
  return path.join(root, 'dist', 'custom-elements.json');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bundle = await buildBundle();
  process.stdout.write(`${path.relative(root, bundle)}: ${statSync(bundle).size} bytes\n`);
  if (!process.argv.includes('--no-manifest')) {
    process.stdout.write(`${path.relative(root, buildManifest())}\n`);
  }
}
