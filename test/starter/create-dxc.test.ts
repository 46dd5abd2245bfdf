/**
 * `npm create dxc` / `npx create-dxc`: the scaffold, the refusal of a non-empty folder, and a
 * scaffold that installs from `npm pack` tarballs of the workspace packages and builds.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { eventually, repo, tmpDir } from './helpers/starter-harness.js';

const run = promisify(execFile);
const createDxc = path.join(repo, 'create-dxc', 'index.mjs');
const npm = (args: string[], cwd: string) =>
  run('npm', args, { cwd, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }, maxBuffer: 32 * 1024 * 1024 });

test('scaffolds the starter into a new folder with its own package.json, README and scripts', { timeout: 60_000 }, async () => {
  const parent = await tmpDir('dxc-create-');
  const { stdout } = await run(process.execPath, [createDxc, 'My Chat App'], { cwd: parent });
  const app = path.join(parent, 'My Chat App');
  assert.match(stdout, /npm install/);
  assert.match(stdout, /npm start/);
  const pkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'my-chat-app');
  assert.deepEqual(Object.keys(pkg.scripts).sort(), ['build', 'dev', 'start', 'typecheck']);
  assert.ok(pkg.dependencies.dxc && pkg.dependencies['dxc-server'] && pkg.dependencies.dexie);
  for (const file of ['README.md', '.gitignore', 'index.html', 'vite.config.ts', 'pwa-manifest.ts', 'src/sw.ts', 'src/main.ts', 'src/chat.ts', 'src/weather.ts', 'public/icons/maskable-512.png', 'scripts/start.mjs', 'scripts/dev.mjs']) {
    assert.ok(fs.existsSync(path.join(app, file)), `${file} is there`);
  }
  assert.match(fs.readFileSync(path.join(app, 'README.md'), 'utf8'), /^# my-chat-app\n/);
  assert.ok(!fs.existsSync(path.join(app, 'scripts', 'make-icons.mjs')), 'repository-only tools stay behind');
});

test('refuses a folder that is not empty, with a clear message, and touches nothing', { timeout: 60_000 }, async () => {
  const parent = await tmpDir('dxc-create-');
  fs.mkdirSync(path.join(parent, 'taken'));
  fs.writeFileSync(path.join(parent, 'taken', 'notes.txt'), 'mine');
  const failure = await run(process.execPath, [createDxc, 'taken'], { cwd: parent }).then(
    () => assert.fail('create-dxc accepted a non-empty folder'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(failure.code, 1);
  assert.match(failure.stderr, /taken is not empty/);
  assert.deepEqual(fs.readdirSync(path.join(parent, 'taken')), ['notes.txt']);
});

test('a scaffold installs from npm pack tarballs of the workspace packages, builds and starts', { timeout: 900_000 }, async () => {
  const packs = await tmpDir('dxc-packs-');
  await npm(['run', 'build', '--silent'], repo);
  const packed = async (args: string[]) => {
    const { stdout } = await npm(['pack', '--json', '--pack-destination', packs, ...args], repo);
    return path.join(packs, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  };
  const dxc = await packed([]);
  const server = await packed(['-w', 'dxc-server']);
  const creator = await packed(['-w', 'create-dxc']);

  // Run the packed create-dxc, as `npm create dxc` would after downloading it.
  const unpacked = await tmpDir('dxc-create-pkg-');
  await run('tar', ['xzf', creator, '-C', unpacked]);
  const parent = await tmpDir('dxc-create-');
  await run(process.execPath, [path.join(unpacked, 'package', 'index.mjs'), 'my-app'], { cwd: parent });
  const app = path.join(parent, 'my-app');
  const pkgFile = path.join(app, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  pkg.dependencies.dxc = `file:${dxc}`;
  pkg.dependencies['dxc-server'] = `file:${server}`;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));

  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  await npm(['run', 'build'], app);
  const dist = path.join(app, 'dist');
  for (const file of ['index.html', 'sw.js', 'dxc-sync-sw.js', 'manifest.webmanifest', 'icons/icon-512.png']) {
    assert.ok(fs.existsSync(path.join(dist, file)), `dist/${file} is built`);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'manifest.webmanifest'), 'utf8'));
  assert.equal(manifest.display, 'standalone');
  assert.match(fs.readFileSync(path.join(dist, 'sw.js'), 'utf8'), /importScripts\(["'`]dxc-sync-sw\.js["'`]\)/);

  // `npm start`'s server part: the installed dxc-server serves the built app.
  const started = spawn(process.execPath, ['scripts/start.mjs', '--port', '0', '--data', path.join(app, 'test-data'), '--log-level', 'warn'], { cwd: app });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      started.stdout.on('data', (chunk) => {
        output += String(chunk);
        const match = /running at (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      started.stderr.on('data', (chunk) => (output += String(chunk)));
      started.on('exit', (code) => reject(new Error(`dxc-server exited with ${code}: ${output}`)));
    });
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>dxc starter<\/title>/);
    // The weather job's first run starts with the server; wait for its reports.
    await eventually(async () => {
      const pull = await fetch(`${url}/sync`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/tson' },
        body: JSON.stringify({ v: 2, schema: { weather: { markedForSync: true } }, baseRevs: [], changes: [] }),
      });
      assert.equal(pull.status, 200);
      return (await pull.text()).includes('"table":"weather"');
    });
  } finally {
    started.kill('SIGTERM');
  }
});
