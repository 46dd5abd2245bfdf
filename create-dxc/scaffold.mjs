/**
 * Scaffolding a new dxc app: the starter (chat + weather PWA) plus the files of a standalone
 * project (package.json, README, vite.config.ts, the service worker, scripts). No dependencies:
 * it runs from `npm create dxc` before anything is installed.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** What of ../starter makes up the app (not its icon-drawing script or repository tsconfig). */
export const STARTER_FILES = ['index.html', 'src', 'public', 'pwa-manifest.ts'];

/** Versions the scaffold depends on; the dxc packages follow this package's own version. */
const DEPENDENCIES = {
  dexie: '^4.4.7',
  'workbox-window': '^7.4.1',
};
const DEV_DEPENDENCIES = {
  '@types/node': '^20.19.0',
  typescript: '^7.0.2',
  vite: '^8.3.8',
  'vite-plugin-pwa': '^2.0.0',
  'workbox-core': '^7.4.1',
  'workbox-precaching': '^7.4.1',
  'workbox-routing': '^7.4.1',
};

export class ScaffoldError extends Error {
  name = 'ScaffoldError';
}

/** npm's rules for a package name, simplified: lowercase, url-safe, at most 214 characters. */
export function packageNameOf(dir) {
  const base = path.basename(path.resolve(dir));
  const name = base.toLowerCase().replace(/[^a-z0-9._~-]+/g, '-').replace(/^[._-]+/, '').slice(0, 214);
  return name || 'dxc-app';
}

/**
 * Create the app in `targetDir` (created if missing). Refuses a folder that has anything in it.
 * `versions` pins the dxc packages (default: this package's version); `localPackages` maps a
 * package name to a file: spec (tests install from `npm pack` tarballs).
 */
export function scaffold(targetDir, { versions, localPackages = {} } = {}) {
  const target = path.resolve(targetDir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new ScaffoldError(`${targetDir} is not empty. Choose a new folder name, or empty this one first.`);
  }
  mkdirSync(target, { recursive: true });
  const ownVersion = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8')).version;
  const dxcVersion = versions ?? `^${ownVersion}`;

  // The starter: packed copy (./app) when published, the repository's starter otherwise.
  const source = existsSync(path.join(here, 'app')) ? path.join(here, 'app') : path.join(here, '..', 'starter');
  for (const file of STARTER_FILES) cpSync(path.join(source, file), path.join(target, file), { recursive: true });
  cpSync(path.join(here, 'template'), target, { recursive: true });
  // npm never packs a file named .gitignore, so the template calls it gitignore.
  renameSync(path.join(target, 'gitignore'), path.join(target, '.gitignore'));

  const name = packageNameOf(target);
  const dxcSpec = (pkg) => localPackages[pkg] ?? dxcVersion;
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      dev: 'node scripts/dev.mjs',
      build: 'vite build',
      start: 'vite build && node scripts/start.mjs',
      typecheck: 'tsc --noEmit',
    },
    dependencies: { dxc: dxcSpec('dxc'), 'dxc-server': dxcSpec('dxc-server'), ...DEPENDENCIES },
    devDependencies: DEV_DEPENDENCIES,
    // dxc-server depends on dxc: keep one copy, the app's own.
    overrides: { dxc: '$dxc' },
  };
  writeFileSync(path.join(target, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  const readme = path.join(target, 'README.md');
  writeFileSync(readme, readFileSync(readme, 'utf8').replaceAll('{{name}}', name));
  return { target, name };
}
