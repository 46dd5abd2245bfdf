/**
 * Bounded soak (issue 11): 500 clients push and pull against one dxc-server node for 2 minutes.
 * The server runs as its own process (`dxc-server start`, SQLite, silent logs) so its memory is
 * measured alone. Each client is one device of one of 50 users: every round it writes a new row
 * and adds 1 to its own counter row (a `@@propmod` add, which a double application would show),
 * then syncs. A failed sync keeps the outbox and resends it, as the addon does.
 *
 * At the end every client drains its outbox, and one fresh device per user pulls the whole realm:
 * every acknowledged write must be there, and every counter must equal the number of adds its
 * device made. Prints errors, lost writes and the server's RSS over time; exits 1 on a lost or
 * doubled write. Not part of `npm test`.
 *
 *   cd /work/main && node --import tsx --conditions=source bench/soak.ts [--clients 500] [--seconds 120]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort, OutboxClient, spawnServer } from '../server/test/helpers/reliability-helpers.js';
import type { TestUser } from '../server/test/helpers/sync-helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const option = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};
const CLIENTS = option('clients', 500);
const SECONDS = option('seconds', 120);
const USERS = option('users', 50);
/** Pause between two rounds of one client, ms (random in [0.5, 1.5] × this): ~250 syncs/s offered. */
const PAUSE_MS = option('pause', 2000);
const SAMPLE_MS = 10_000;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dxc-soak-'));
const keyFile = path.join(dataDir, 'soak-client.json');
execFileSync(process.execPath, [path.join(root, 'server/bin/dxc-server.mjs'), 'create-client', '--data', dataDir, '--name', 'soak', '--out', keyFile], {
  stdio: 'ignore',
});
const credentials = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { client_id: string; client_secret: string };
const server = await spawnServer(await freePort(), dataDir);
const pid = server.process.pid!;

function rssMiB(): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** An access token for app user `sub`, minted by the app backend (client_credentials). */
async function tokenFor(sub: string): Promise<TestUser> {
  for (;;) {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', ...credentials, scopes: ['ACCESS_DB'], claims: { sub, email: `${sub}@example.com` } }),
    });
    const body = (await res.json()) as { accessToken: string; accessTokenExpiration: number };
    if (res.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    if (res.status !== 200) throw new Error(`token for ${sub}: ${res.status} ${JSON.stringify(body)}`);
    return { userId: sub, token: body.accessToken, expiresAt: body.accessTokenExpiration };
  }
}

interface Device {
  readonly client: OutboxClient;
  readonly name: string;
  /** Keys of the rows it wrote (each acknowledged by the end, after the drain). */
  readonly written: string[];
  adds: number;
}

const users: TestUser[] = [];
for (let u = 0; u < USERS; u++) users.push(await tokenFor(`soak-user-${u}`));
const devices: Device[] = Array.from({ length: CLIENTS }, (_, i) => ({
  client: new OutboxClient(server, users[i % USERS]!),
  name: `d${i}`,
  written: [],
  adds: 0,
}));

const stats = { syncs: 0, errors: 0, latencies: [] as number[] };
const errorSamples = new Set<string>();
const samples: { second: number; rssMiB: number; syncs: number; errors: number; p50: number; p99: number }[] = [];
const start = performance.now();
const deadline = start + SECONDS * 1000;

const quantile = (values: number[], q: number) => {
  if (values.length === 0) return 0;
  const sortedValues = [...values].sort((a, b) => a - b);
  return sortedValues[Math.min(sortedValues.length - 1, Math.floor(q * sortedValues.length))]!;
};

async function sync(device: Device): Promise<boolean> {
  const t0 = performance.now();
  try {
    await device.client.sync();
    stats.syncs++;
    stats.latencies.push(performance.now() - t0);
    return true;
  } catch (error) {
    stats.errors++;
    errorSamples.add(String((error as Error).message).slice(0, 160));
    return false;
  }
}

async function runDevice(device: Device): Promise<void> {
  let seq = 0;
  // Spread the first rounds over one pause so the clients do not start in lockstep.
  await new Promise((resolve) => setTimeout(resolve, Math.random() * PAUSE_MS));
  while (performance.now() < deadline) {
    const key = `${device.name}-${seq++}`;
    const counter = `ctr-${device.name}`;
    device.client.write({
      txid: randomBytes(12).toString('base64'),
      ops: [
        { type: 'upsert', keys: [key], values: [{ id: key, at: Date.now(), text: `row ${seq} of ${device.name}` }] },
        device.adds === 0
          ? { type: 'upsert', keys: [counter], values: [{ id: counter, n: 1 }] }
          : { type: 'update', keys: [counter], changeSpecs: [{ n: { '@@propmod': { add: 1 } } }] },
      ],
    });
    device.written.push(key);
    device.adds++;
    await sync(device);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS * (0.5 + Math.random())));
  }
}

const sampler = setInterval(() => {
  const second = Math.round((performance.now() - start) / 1000);
  const sample = {
    second,
    rssMiB: Math.round(rssMiB()),
    syncs: stats.syncs,
    errors: stats.errors,
    p50: Math.round(quantile(stats.latencies, 0.5)),
    p99: Math.round(quantile(stats.latencies, 0.99)),
  };
  stats.latencies = [];
  samples.push(sample);
  console.log(`t=${String(second).padStart(4)} s  server RSS ${sample.rssMiB} MiB  syncs ${sample.syncs}  errors ${sample.errors}  latency p50 ${sample.p50} ms p99 ${sample.p99} ms`);
}, SAMPLE_MS);

console.log(`soak: ${CLIENTS} clients (${USERS} users), ${SECONDS} s, server pid ${pid}, RSS at start ${Math.round(rssMiB())} MiB`);
let lost = 0;
let doubled = 0;
try {
  await Promise.all(devices.map(runDevice));
  clearInterval(sampler);

  // Drain: every outbox empties (a sync that failed during the soak is retried here).
  for (const device of devices) {
    for (let attempt = 0; device.client.outbox.length > 0; attempt++) {
      if (!(await sync(device)) && attempt > 5) throw new Error(`${device.name} cannot drain its outbox`);
    }
  }

  for (const user of users) {
    const fresh = new OutboxClient(server, user);
    await fresh.sync();
    for (const device of devices.filter((d) => d.client.user === user)) {
      lost += device.written.filter((key) => !fresh.replica.has(key)).length;
      const n = fresh.replica.get(`ctr-${device.name}`)?.n;
      if (n !== device.adds) {
        doubled++;
        console.log(`counter of ${device.name}: ${String(n)}, expected ${device.adds}`);
      }
    }
  }
} finally {
  clearInterval(sampler);
  await server.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

const writes = devices.reduce((sum, d) => sum + d.written.length, 0);
const steady = samples.filter((s) => s.second >= 30);
console.log('');
console.log(`syncs ${stats.syncs}, errors ${stats.errors}, writes ${writes}, lost writes ${lost}, counters off ${doubled}`);
if (errorSamples.size) console.log(`error kinds: ${[...errorSamples].slice(0, 5).join(' | ')}`);
if (steady.length >= 2) {
  const first = steady[0]!;
  const last = steady[steady.length - 1]!;
  const peak = Math.max(...steady.map((s) => s.rssMiB));
  console.log(`server RSS from t=${first.second} s to t=${last.second} s: ${first.rssMiB} → ${last.rssMiB} MiB (peak ${peak} MiB)`);
}
process.exit(lost > 0 || doubled > 0 ? 1 : 0);
