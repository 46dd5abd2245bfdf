// `npm start`: serves the starter PWA from dxc-server on the embedded SQLite database, in dev mode
// (OTP mails printed to this terminal and kept at /_dev/mailbox). Extra arguments go to dxc-server,
// e.g. `npm start -- --port 9000`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'starter');
const staticDir = existsSync(path.join(built, 'index.html')) ? built : path.join(root, 'starter');
const args = [
  path.join(root, 'server', 'bin', 'dxc-server.mjs'),
  'start',
  '--data',
  process.env.DXC_DATA_DIR ?? path.join(root, 'dxc-data'),
  '--static',
  staticDir,
  ...process.argv.slice(2),
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
