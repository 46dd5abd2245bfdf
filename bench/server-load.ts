/**
 * One dxc-server node under load, run as a child process (`server/bin/dxc-server.mjs`, SQLite in a
 * temp dir) so its CPU time and resident memory can be read from /proc apart from the load
 * generator (this process, on the same 2-core machine: the figures are a floor for a real node).
 *
 * - pushes/s: `--writers` concurrent clients each send `/sync` requests carrying 10 new rows
 *   (an addon-shaped push + pull of the writer's realm), `--pushes` in all or `--seconds` at most.
 *   Server CPU = its user+system time over the wall time; RSS = its peak VmRSS.
 * - idle WebSockets: authenticated `/changes` sockets held open at 1k, 5k and 10k; the server's
 *   RSS growth divided by the count (kernel socket buffers are not in RSS).
 * Budgets (DESIGN.md): ≥ 1,000 pushes/s of 10 ops on SQLite; ≥ 10,000 idle WebSockets.
 * 10,000 sockets need about 10,000 descriptors in each process: scripts/bench.mjs raises
 * `ulimit -n`; run it alone under a limit of at least 12,000.
 *
 *   node --import tsx --conditions=source bench/server-load.ts [--pushes 5000] [--writers 16] [--seconds 60] [--sockets 1000,5000,10000] [--profile DIR]
 * The sockets are measured first, on a fresh node (its heap still small, so RSS growth is theirs).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { decodeTson, encodeTson, type SyncResponse } from 'dxc/protocol';
import WebSocket from 'ws';
import { loginWithCode } from '../server/test/helpers/auth-helpers.js';
import { SCHEMA } from '../server/test/helpers/sync-helpers.js';
import { Report } from './lib/report.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1]!;
}
const PUSHES = Number(option('pushes', '5000'));
const WRITERS = Number(option('writers', '16'));
const SECONDS = Number(option('seconds', '60'));
const SOCKET_LEVELS = option('sockets', '1000,5000,10000').split(',').map(Number).filter((n) => n > 0);
/** Rows per push: DESIGN.md's unit is "pushes of 10 ops". */
const ROWS_PER_PUSH = 10;
/** Users to spread writers over; OTP logins are rate-limited per IP, so keep this small. */
const USERS = 4;
/** Sockets connecting at once while filling up a level. */
const CONNECT_BATCH = 250;
/** Budgets from DESIGN.md. */
const PUSHES_PER_SECOND_FLOOR = 1000;
const SOCKETS_FLOOR = 10_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TICKS_PER_SECOND = 100; // Linux USER_HZ

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const report = new Report('server-load', `node --import tsx --conditions=source bench/server-load.ts ${process.argv.slice(2).join(' ')}`.trim());
const dataDir = mkdtempSync(path.join(tmpdir(), 'dxc-bench-load-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
/** `--profile DIR` writes the server's CPU profile there (node --cpu-prof), for bench/profile-summary.ts. */
const PROFILE_DIR = option('profile', '');
const child = spawn(process.execPath, [...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []), 'server/bin/dxc-server.mjs', 'start', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir, '--log-level', 'silent'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const pid = child.pid!;
const sockets: WebSocket[] = [];
try {
  const ready = performance.now();
  for (;;) {
    if (performance.now() - ready > 30_000) throw new Error('dxc-server did not start in 30 s');
    if (await fetch(`${url}/_dev/mailbox`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const server = { url } as any;
  const users: { id: string; token: string }[] = [];
  for (let i = 0; i < USERS; i++) {
    const { tokens } = await loginWithCode(server, `load${i}-${Date.now()}@example.com`);
    users.push({ id: tokens.claims.sub, token: tokens.accessToken });
  }

  // --- idle WebSockets ---
  const before = rssMiB(pid);
  const levels: Record<number, unknown> = {};
  const open = (user: { token: string }, n: number) =>
    new Promise<void>((resolve, reject) => {
      const params = new URLSearchParams({ v: '3', realmsHash: 'hash', clientId: `bench-${n}`, token: user.token });
      const ws = new WebSocket(`ws://127.0.0.1:${port}/changes?${params}`);
      ws.on('open', () => resolve());
      ws.on('error', reject);
      ws.on('message', () => {});
      sockets.push(ws);
    });
  for (const level of SOCKET_LEVELS) {
    const started = performance.now();
    try {
      while (sockets.length < level) {
        const batch = Math.min(CONNECT_BATCH, level - sockets.length);
        await Promise.all(Array.from({ length: batch }, (_, i) => open(users[(sockets.length + i) % USERS]!, sockets.length + i)));
      }
    } catch (error) {
      console.log(`sockets: failed at ${sockets.length}: ${error}`);
      levels[level] = { error: String(error), reached: sockets.length };
      break;
    }
    await new Promise((r) => setTimeout(r, 2000)); // let the server settle before reading RSS
    const alive = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
    const rss = rssMiB(pid);
    const perSocketKiB = ((rss - before) * 1024) / level;
    levels[level] = { open: alive, rssMiB: rss, perSocketKiB, connectSeconds: (performance.now() - started) / 1000 };
    report.add({ name: `idle WebSockets held: ${alive} of ${level}`, value: alive, unit: 'sockets', ...(level === SOCKETS_FLOOR ? { floor: SOCKETS_FLOOR } : {}) });
    report.add({ name: `  server RSS at ${level} sockets`, value: rss, unit: 'MiB', note: `${perSocketKiB.toFixed(1)} KiB per socket over ${before.toFixed(0)} MiB` });
  }
  report.note('sockets', { rssBeforeMiB: before, levels });
  // Close them before the push phase: its figures are for a node with no live clients.
  for (const ws of sockets.splice(0)) ws.terminate();
  await new Promise((r) => setTimeout(r, 1000));
  // --- pushes/s ---
  const baseRss = rssMiB(pid);
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(pid))), 100);
  let sent = 0;
  let failed = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      const user = users[w % USERS]!;
      let lastPull: object | undefined;
      while (sent < PUSHES && performance.now() < deadline) {
        sent++;
        const keys = Array.from({ length: ROWS_PER_PUSH }, () => `itm${randomBytes(12).toString('base64url')}`);
        const values = keys.map((id, i) => ({ id, title: `w${w} row ${i}`, done: false, n: i, realmId: user.id, owner: user.id }));
        const body = encodeTson({
          v: 3,
          schema: SCHEMA,
          baseRevs: [],
          ...(lastPull ? { lastPull } : {}),
          changes: [{ table: 'items', muts: [{ type: 'upsert', keys, values, txid: randomBytes(16).toString('base64') }] }],
        });
        const started = performance.now();
        const res = await fetch(`${url}/sync`, { method: 'POST', headers: { 'Content-Type': 'application/tson', Authorization: `Bearer ${user.token}` }, body });
        const text = await res.text();
        latencies.push(performance.now() - started);
        if (res.status !== 200) {
          failed++;
          if (failed < 3) console.log(`push failed: ${res.status} ${text.slice(0, 200)}`);
          continue;
        }
        const response = decodeTson(text) as SyncResponse;
        lastPull = { serverRevision: response.serverRevision, realms: response.realms, inviteRealms: response.inviteRealms };
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  clearInterval(sampler);
  const ok = latencies.length - failed;
  latencies.sort((a, b) => a - b);
  report.add({ name: `pushes/s of ${ROWS_PER_PUSH} ops (${ok} pushes, ${WRITERS} writers, SQLite)`, value: ok / wall, unit: 'pushes/s', floor: PUSHES_PER_SECOND_FLOOR });
  report.add({ name: 'server CPU during pushes', value: (100 * cpu) / wall, unit: '% of one core' });
  report.add({ name: 'server peak RSS during pushes', value: peakRss, unit: 'MiB', note: `${baseRss.toFixed(0)} MiB before` });
  report.add({ name: 'push round trip p50', value: latencies[Math.floor(latencies.length / 2)] ?? NaN, unit: 'ms' });
  report.note('pushes', { ok, failed, seconds: wall, serverCpuSeconds: cpu, writers: WRITERS, rowsPerPush: ROWS_PER_PUSH });

} finally {
  for (const ws of sockets) ws.terminate();
  // SIGINT lets node write its --cpu-prof profile on the way out.
  child.kill(PROFILE_DIR ? 'SIGINT' : 'SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
report.write();
