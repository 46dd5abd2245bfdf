#!/usr/bin/env node
// `npm create dxc@latest my-app` (or `npx create-dxc my-app`): a new offline-first PWA synced by dxc.
import path from 'node:path';
import { scaffold, ScaffoldError } from './scaffold.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('Usage: npm create dxc@latest <folder>\n       npx create-dxc <folder>\n');
  process.exit(0);
}
const folder = args.find((arg) => !arg.startsWith('-')) ?? 'my-dxc-app';
try {
  const { target } = scaffold(folder);
  const shown = path.relative(process.cwd(), target) || '.';
  process.stdout.write(`
Created ${shown}: a chat room and a weather report that work offline, synced by dxc.

  cd ${shown}
  npm install
  npm start        # builds the app and serves it at http://localhost:8787

Log in with any email address; the one-time code is printed in the terminal.
`);
} catch (error) {
  if (!(error instanceof ScaffoldError)) throw error;
  process.stderr.write(`create-dxc: ${error.message}\n`);
  process.exit(1);
}
