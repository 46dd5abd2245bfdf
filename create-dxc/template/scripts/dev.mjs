// `npm run dev`: dxc-server on :8787 (data in ./dxc-data) and Vite's dev server with hot reload
// on :5173, whose app syncs with that server. The service worker runs only in builds (`npm start`).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverCommand } from './server-command.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const server = spawn(
  ...serverCommand(root, [
    'start',
    '--data', path.join(root, 'dxc-data'),
    '--open-realm', 'rlm-lobby',
    '--open-realm-tables', 'messages',
    '--weather-places', 'Oslo@59.91,10.75;Lisbon@38.72,-9.14',
  ]),
  { stdio: 'inherit' },
);
const vite = spawn(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js')], {
  stdio: 'inherit',
  env: { ...process.env, VITE_DXC_URL: 'http://localhost:8787' },
});
const stop = (signal) => {
  server.kill(signal);
  vite.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(signal));
for (const child of [server, vite]) child.on('exit', (code) => {
  stop('SIGTERM');
  process.exit(code ?? 0);
});
