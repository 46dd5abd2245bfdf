// `npm start`: builds the starter PWA when its build is missing or older than its sources (a
// couple of seconds), then serves it from dxc-server on the embedded SQLite database, in dev mode
// (OTP mails printed to this terminal and kept at /_dev/mailbox), with the starter's chat room
// (the open realm `rlm-lobby`) and the weather job. Extra arguments go to dxc-server, e.g.
// `npm start -- --port 9000`; `npm start -- --weather-source https://api.open-meteo.com` uses
// real weather where the network allows it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'starter');

/** Newest modification time under `paths` (files or folders), ms. */
function newest(paths) {
  let latest = 0;
  const visit = (file) => {
    if (!existsSync(file)) return;
    const stat = statSync(file);
    if (stat.isDirectory()) for (const entry of readdirSync(file)) visit(path.join(file, entry));
    else latest = Math.max(latest, stat.mtimeMs);
  };
  paths.forEach(visit);
  return latest;
}

const sources = ['starter', 'src', 'vite.config.ts', 'scripts/build-sw.mjs'].map((p) => path.join(root, p));
const builtAt = existsSync(path.join(built, 'index.html')) ? statSync(path.join(built, 'index.html')).mtimeMs : 0;
if (builtAt < newest(sources)) {
  console.log('Building the starter (dist/starter)…');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const portFlag = process.argv.find((arg) => arg.startsWith('--port='))?.slice('--port='.length);
const port = portFlag ?? (process.argv.includes('--port') ? process.argv[process.argv.indexOf('--port') + 1] : process.env.DXC_PORT ?? '8787');
console.log(`
  dxc starter → http://localhost:${port}
  Log in with any email address: the one-time code is printed below and kept in the
  dev mailbox at http://localhost:${port}/_dev/mailbox.html
`);
const args = [
  path.join(root, 'server', 'bin', 'dxc-server.mjs'),
  'start',
  '--data',
  process.env.DXC_DATA_DIR ?? path.join(root, 'dxc-data'),
  '--static',
  built,
  '--open-realm',
  'rlm-lobby',
  '--open-realm-tables',
  'messages',
  '--weather-places',
  'Oslo@59.91,10.75;Lisbon@38.72,-9.14;Nairobi@-1.29,36.82;Tokyo@35.68,139.69',
  ...process.argv.slice(2),
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
