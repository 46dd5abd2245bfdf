// How to run the installed dxc-server: its compiled CLI when the package ships one, else its
// TypeScript sources through tsx (a dependency of dxc-server), resolving `dxc` to its built dist.
import { existsSync } from 'node:fs';
import path from 'node:path';

/** `[node, ...args]` that start `dxc-server` from the app folder `root`. */
export function serverCommand(root, args) {
  const pkg = path.join(root, 'node_modules', 'dxc-server');
  if (existsSync(path.join(pkg, 'dist', 'cli.js'))) return [process.execPath, [path.join(pkg, 'bin', 'dxc-server.mjs'), ...args]];
  return [process.execPath, ['--import', 'tsx', path.join(pkg, 'src', 'cli.ts'), ...args]];
}
