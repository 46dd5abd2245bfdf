// `npm start` (after `vite build`): serves dist/ from dxc-server at http://localhost:8787 on an
// embedded SQLite database in ./dxc-data, in dev mode (login codes printed here), with the chat
// room (open realm rlm-lobby) and the weather job. Extra arguments go to dxc-server.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverCommand } from './server-command.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [command, args] = serverCommand(root, [
  'start',
  '--data', path.join(root, 'dxc-data'),
  '--static', path.join(root, 'dist'),
  '--open-realm', 'rlm-lobby',
  '--open-realm-tables', 'messages',
  '--weather-places', 'Oslo@59.91,10.75;Lisbon@38.72,-9.14;Nairobi@-1.29,36.82;Tokyo@35.68,139.69',
  ...process.argv.slice(2),
]);
console.log('\n  Your app → http://localhost:8787 (login codes appear below and at /_dev/mailbox.html)\n');
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
