// `npm run build`: compiles the web package to dist/ (tsc), then bundles what ships besides the
// per-module output: dist/dxc.js and dist/custom-elements.json (scripts/build-elements.mjs), and
// the service worker pieces when present (scripts/build-sw.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (file, args = []) => execFileSync(process.execPath, [file, ...args], { cwd: root, stdio: 'inherit' });

run(path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), ['-p', 'tsconfig.json']);
run(path.join(root, 'scripts', 'build-elements.mjs'));
if (existsSync(path.join(root, 'scripts', 'build-sw.mjs'))) run(path.join(root, 'scripts', 'build-sw.mjs'));
