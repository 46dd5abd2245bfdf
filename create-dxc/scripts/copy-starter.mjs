// Before `npm pack`/`npm publish`: copies the starter app (../starter) into ./app, so the published
// package carries it; after packing (`--clean`) removes it again, so the repository's scaffold
// always reads ../starter, never a stale copy.
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STARTER_FILES } from '../scaffold.mjs';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(here, 'app');
rmSync(target, { recursive: true, force: true });
if (!process.argv.includes('--clean')) {
  for (const file of STARTER_FILES) {
    cpSync(path.join(here, '..', 'starter', file), path.join(target, file), { recursive: true });
  }
}
