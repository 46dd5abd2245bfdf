#!/usr/bin/env node
// Runs the compiled CLI when present (published package); in the repository, runs the TypeScript
// sources through tsx and resolves workspace packages to their sources (the "source" condition).
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const compiled = new URL('../dist/cli.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  register('./source-condition.mjs', import.meta.url);
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
