/**
 * Scale-out benchmark: pushes per second and live fan-out latency for one SQLite node, one
 * PostgreSQL node and two PostgreSQL nodes behind a client-side round robin. Nodes run as real
 * `dxc-server` child processes on 127.0.0.1; this process plays the clients over loopback HTTP and
 * WebSocket.
 *
 *   node --import tsx --conditions=source bench/multi-node.ts --db postgres://postgres@127.0.0.1:5432/postgres \
 *     [--pushes 2000] [--writers 16] [--samples 300] [--sockets 10000]
 *
 * The PostgreSQL server: `--db URL`, else DXC_BENCH_PG_URL, else DXC_TEST_PG_URL. Without one the
 * benchmark is skipped (a message, exit 0, results left as they were): two nodes need PostgreSQL.
 * It creates and drops its own databases (`dxc_bench_<pid>_<n>`) on that server.
 * - throughput: `--writers` concurrent clients (two per user) each push 10-row upserts through the
 *   nodes in turn, `--pushes` in all; pushes/s = pushes / wall time. Each push is a full `/sync`
 *   round trip (push + pull of the writer's own realm), as the addon does it.
 * - fan-out: one socket on the last node waits for changes; a writer on the first node pushes one
 *   row at a time; latency = from sending the push to receiving the `changes` message. With two
 *   nodes the change crosses PostgreSQL NOTIFY.
 * - memory: `--sockets` idle `/changes` sockets on a one-node setup; the node's resident memory
 *   growth divided by their number (Linux only; 0 skips it).
 * Budgets (DESIGN.md): ≥ 1,000 pushes/s of 10 ops on SQLite (printed for the SQLite row); fan-out
 * is the server's share of live propagation A → server → B, whose budget is p50 ≤ 15 ms, p99 ≤ 50 ms.
 * It prints figures and writes bench/results/multi-node.json; it asserts nothing (DESIGN.md:
 * benchmarks, not timed tests). About 45 s on a quiet 2-core machine; `npm run bench` bounds it at 300 s.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { freshDataDir } from '../server/test/helpers/auth-helpers.js';
import { spawnNode, type SpawnedNode } from '../server/test/helpers/multi-node-helpers.js';
import { changes, loginUser, openChanges, ProtocolClient, type TestUser } from '../server/test/helpers/sync-helpers.js';
import { Report } from './lib/report.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const PUSHES = option('pushes', 2000);
const WRITERS = option('writers', 16);
const SAMPLES = option('samples', 300);
/** Idle sockets opened on one node to estimate memory per live client (0 skips it). */
const SOCKETS = option('sockets', 10_000);
/** Rows per push, the unit of DESIGN.md's "1,000 pushes/s of 10 ops". */
const ROWS_PER_PUSH = 10;
/** Distinct users; login is rate-limited per IP (10 code checks a minute), so keep this under 10. */
const USERS = 8;
const dbIndex = process.argv.indexOf('--db');
const PG_URL = (dbIndex === -1 ? undefined : process.argv[dbIndex + 1]) || process.env.DXC_BENCH_PG_URL || process.env.DXC_TEST_PG_URL;
/** Budgets from DESIGN.md. */
const PUSHES_PER_SECOND_FLOOR = 1000;
const LIVE_P50_BUDGET_MS = 15;
const LIVE_P99_BUDGET_MS = 50;

if (!PG_URL) {
  process.stdout.write(
    'multi-node: SKIPPED, no PostgreSQL server: pass --db postgres://user@127.0.0.1:5432/db or set DXC_TEST_PG_URL ' +
      '(or DXC_BENCH_PG_URL). Two nodes share one PostgreSQL database. bench/results/multi-node.json left as it was.\n',
  );
  process.exit(0);
}

interface Setup {
  readonly label: string;
  readonly database?: string;
  readonly nodes: number;
}

interface Result {
  readonly label: string;
  readonly pushesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Resident memory the node added per idle `/changes` socket, in KiB. */
  readonly kibPerSocket: number | undefined;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function rows(prefix: string) {
  const keys = Array.from({ length: ROWS_PER_PUSH }, (_, i) => `${prefix}-${i}`);
  return changes('notes', {
    type: 'upsert',
    keys,
    values: keys.map((id) => ({ id, text: 'benchmark row', at: Date.now() })),
    txid: randomBytes(12).toString('base64'),
  });
}

async function throughput(nodes: SpawnedNode[], users: TestUser[]): Promise<number> {
  let next = 0;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    const user = users[w % users.length]!;
    let cursor: Pick<ProtocolClient, 'lastPull' | 'dbId'> = { lastPull: undefined, dbId: undefined };
    let i = 0;
    // Warm the cursor so every measured sync pulls only what changed since the writer's last one.
    const first = Object.assign(new ProtocolClient(nodes[w % nodes.length]!.server, user), cursor);
    await first.sync();
    cursor = { lastPull: first.lastPull, dbId: first.dbId };
    return async () => {
      while (next < PUSHES) {
        next++;
        const client = Object.assign(new ProtocolClient(nodes[(w + i++) % nodes.length]!.server, user), cursor);
        await client.sync(rows(`w${w}-${i}`));
        cursor = { lastPull: client.lastPull, dbId: client.dbId };
      }
    };
  });
  const runs = await Promise.all(writers);
  const start = performance.now();
  await Promise.all(runs.map((run) => run()));
  return PUSHES / ((performance.now() - start) / 1000);
}

async function fanOut(nodes: SpawnedNode[], user: TestUser): Promise<{ p50: number; p99: number }> {
  const writer = new ProtocolClient(nodes[0]!.server, user);
  const reader = new ProtocolClient(nodes.at(-1)!.server, user);
  await writer.sync();
  await reader.sync();
  const socket = await openChanges(nodes.at(-1)!.server, { token: user.token });
  let rev = reader.lastPull!.serverRevision as string;
  socket.send({ type: 'ready', rev, realmSetHash: 'bench' });
  socket.send({ type: 'ping' });
  await socket.next(); // pong: the socket is ready
  const latencies: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const sent = performance.now();
    const arrived = socket.next();
    const pushing = writer.sync(changes('notes', { type: 'upsert', keys: [`live-${i}`], values: [{ id: `live-${i}` }], txid: `live-${i}` }));
    const message = await arrived;
    latencies.push(performance.now() - sent);
    await pushing;
    rev = message.newRev;
    socket.send({ type: 'ready', rev, realmSetHash: 'bench' });
  }
  await socket.close();
  latencies.sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** The node process's resident set size, in KiB (Linux /proc). */
async function rssKib(node: SpawnedNode): Promise<number> {
  const status = await readFile(`/proc/${node.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

async function idleSockets(node: SpawnedNode, user: TestUser): Promise<number> {
  const before = await rssKib(node);
  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) {
    const socket = await openChanges(node.server, { token: user.token });
    socket.send({ type: 'ping' });
    await socket.next();
    sockets.push(socket);
  }
  const after = await rssKib(node);
  await Promise.all(sockets.map((socket) => socket.close()));
  return (after - before) / SOCKETS;
}

async function run(setup: Setup): Promise<Result> {
  const cluster = { dataDir: freshDataDir(), publicUrl: 'http://dxc.bench', database: setup.database };
  const nodes: SpawnedNode[] = [];
  try {
    // One node first, so the others find the schema migrated (they would wait on the lock anyway).
    for (let i = 0; i < setup.nodes; i++) nodes.push(await spawnNode(cluster));
    const users: TestUser[] = [];
    for (let u = 0; u < USERS; u++) users.push(await loginUser(nodes[u % nodes.length]!.server, `bench-${u}@example.com`));
    // Memory first, on a node that has not yet made the garbage of the push phase.
    const kibPerSocket = SOCKETS > 0 && setup.nodes === 1 ? await idleSockets(nodes[0]!, users[1]!) : undefined;
    const pushesPerSecond = await throughput(nodes, users);
    const { p50, p99 } = await fanOut(nodes, users[0]!);
    return { label: setup.label, pushesPerSecond, p50, p99, kibPerSocket };
  } finally {
    await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
  }
}

try {
  await admin('SELECT 1');
} catch (error) {
  process.stdout.write(`multi-node: SKIPPED, PostgreSQL does not answer (${(error as Error).message}); bench/results/multi-node.json left as it was.\n`);
  process.exit(0);
}

const setups: Setup[] = [{ label: 'SQLite, 1 node', nodes: 1 }];
const databases: string[] = [];
for (const nodes of [1, 2]) {
  const name = `dxc_bench_${process.pid}_${nodes}`;
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  databases.push(name);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  setups.push({ label: `PostgreSQL, ${nodes} node${nodes > 1 ? 's' : ''}`, database: url.toString(), nodes });
}
const redacted = new URL(PG_URL);
redacted.password = redacted.password ? '***' : '';
const report = new Report(
  'multi-node',
  `node --import tsx --conditions=source bench/multi-node.ts ${process.argv.slice(2).join(' ').replace(PG_URL, redacted.toString())}`.trim(),
);

process.stdout.write(
  `dxc-server scale-out benchmark: ${PUSHES} pushes of ${ROWS_PER_PUSH} rows by ${WRITERS} writers; ` +
    `${SAMPLES} fan-out samples; Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs\n\n`,
);
process.stdout.write(
  `${'setup'.padEnd(22)} ${'pushes/s'.padStart(9)} ${'fan-out p50'.padStart(12)} ${'p99'.padStart(9)} ${'KiB/idle socket'.padStart(16)}\n`,
);
const results: Result[] = [];
try {
  for (const setup of setups) {
    const result = await run(setup);
    results.push(result);
    process.stdout.write(
      `${result.label.padEnd(22)} ${result.pushesPerSecond.toFixed(0).padStart(9)} ` +
        `${`${result.p50.toFixed(1)} ms`.padStart(12)} ${`${result.p99.toFixed(1)} ms`.padStart(9)} ` +
        `${(result.kibPerSocket === undefined ? '-' : result.kibPerSocket.toFixed(1)).padStart(16)}\n`,
    );
  }
} finally {
  for (const name of databases) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
process.stdout.write('\n');
for (const result of results) {
  const sqlite = result.label.startsWith('SQLite');
  report.add({
    name: `${result.label}: pushes/s of ${ROWS_PER_PUSH} ops (${PUSHES} pushes, ${WRITERS} writers)`,
    value: result.pushesPerSecond,
    unit: 'pushes/s',
    ...(sqlite ? { floor: PUSHES_PER_SECOND_FLOOR } : {}),
  });
  const share = 'push sent → `changes` message; the server\'s share of live A → server → B';
  report.add({ name: `${result.label}: live fan-out p50 (${SAMPLES} changes)`, value: result.p50, unit: 'ms', budget: LIVE_P50_BUDGET_MS, note: share });
  report.add({ name: `${result.label}: live fan-out p99`, value: result.p99, unit: 'ms', budget: LIVE_P99_BUDGET_MS });
  if (result.kibPerSocket !== undefined) report.add({ name: `${result.label}: RSS per idle /changes socket (${SOCKETS})`, value: result.kibPerSocket, unit: 'KiB' });
}
report.note('parameters', { pushes: PUSHES, writers: WRITERS, samples: SAMPLES, sockets: SOCKETS, rowsPerPush: ROWS_PER_PUSH, users: USERS });
report.note('results', results);
report.write();
