// `npm run bench`: every benchmark in bench/, one after another (never in parallel: they share
// 2 cores), each bounded in time and killed with its process group when over. Each prints its
// figures beside the DESIGN.md budgets and writes bench/results/<name>.json; this script writes
// bench/results/summary.json (what ran, how long, exit status). A timing never fails the run:
// the exit code is non-zero only when a benchmark crashed or hit its time bound.
//
//   npm run bench                       all of them
//   npm run bench -- --only live-propagation,bundle-sizes
//   npm run bench -- --quick            smaller workloads (a smoke run, not figures to quote),
//                                       written to bench/results/quick/
//   npm run bench -- --db postgres://postgres@127.0.0.1:5432/postgres
//                                       the PostgreSQL server for multi-node (else DXC_BENCH_PG_URL
//                                       or DXC_TEST_PG_URL; without one multi-node says so and skips)
//
// The soak is the one benchmark that checks rather than times: it exits non-zero on a sync error,
// a lost or double-applied write, or server memory that is not flat (bench/soak.ts), and that
// shows here as "exit 1". The worst case of a full run is the sum of the bounds below, printed at
// the start.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
// Smoke-run figures must not replace the real ones that BENCHMARKS.md quotes.
const resultsDir = path.join(root, quick ? 'bench/results/quick' : 'bench/results');
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex === -1 ? undefined : new Set(process.argv[onlyIndex + 1].split(','));
const dbIndex = process.argv.indexOf('--db');
const db = dbIndex === -1 ? [] : ['--db', process.argv[dbIndex + 1]];
/** An argument as summary.json records it: a database URL without its password. */
function shown(arg) {
  if (arg !== db[1]) return arg;
  try {
    const url = new URL(arg);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<database URL>';
  }
}

/** Open files the load benchmark needs: 10,000 sockets in each of two processes, plus margin. */
const OPEN_FILES = 65536;
const TSX = ['--import', 'tsx', '--conditions=source'];

/** name, arguments to node, time bound in seconds. */
const BENCHMARKS = [
  { name: 'bundle-sizes', args: [...TSX, 'bench/bundle-sizes.ts'], seconds: 180 },
  // server-push.ts prints only: its lines are kept in results/server-push.json.
  { name: 'server-push', args: [...TSX, 'bench/server-push.ts', quick ? '2000' : '10000', '3'], seconds: 180, capture: true },
  { name: 'sync-throughput', args: [...TSX, 'bench/sync-throughput.ts', quick ? '1000' : '10000'], seconds: 600 },
  { name: 'live-propagation', args: [...TSX, 'bench/live-propagation.ts', quick ? '100' : '500'], seconds: 1200 },
  {
    name: 'server-load',
    args: [...TSX, 'bench/server-load.ts', '--pushes', quick ? '500' : '5000', '--seconds', quick ? '15' : '60', '--sockets', quick ? '1000' : '1000,5000,10000'],
    seconds: 420,
    openFiles: OPEN_FILES,
  },
  { name: 'initial-sync', args: [...TSX, 'bench/initial-sync.ts', quick ? '10000' : '100000'], seconds: 900 },
  // 500 clients × 120 s of load (the issue's figures) + set-up, drain and check; its own watchdog
  // stops it at 360 s. A quick run is too short to judge memory (the soak says so).
  { name: 'soak', args: [...TSX, 'bench/soak.ts', '--clients', quick ? '100' : '500', '--seconds', quick ? '30' : '120'], seconds: 420 },
  {
    name: 'multi-node',
    args: [...TSX, 'bench/multi-node.ts', ...db, '--pushes', quick ? '500' : '2000', '--writers', '16', '--samples', quick ? '100' : '300', '--sockets', quick ? '1000' : '10000'],
    // ~45 s on a quiet 2-core machine (2026-12-04); the bound leaves room for a loaded one.
    seconds: 300,
    openFiles: OPEN_FILES,
  },
];

function run({ name, args, seconds, openFiles, capture }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const node = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    // Raise the soft limit in the benchmark's own shell (root may raise the hard one too).
    const script = openFiles ? `ulimit -n ${openFiles} 2>/dev/null || ulimit -n hard 2>/dev/null; exec ${node}` : `exec ${node}`;
    const env = { ...process.env, DXC_BENCH_RESULTS_DIR: resultsDir };
    const child = spawn('bash', ['-c', script], { cwd: root, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', detached: true, env });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.stdout.write(`\n${name}: over its ${seconds} s bound, stopping it\n`);
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 5000).unref();
    }, seconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (capture) {
        const body = { name, command: `node ${args.map(shown).join(' ')}`, date: new Date(started).toISOString(), loadAverage: os.loadavg(), output: output.trim().split('\n') };
        mkdirSync(resultsDir, { recursive: true });
        writeFileSync(path.join(resultsDir, `${name}.json`), `${JSON.stringify(body, null, 2)}\n`);
      }
      resolve({ name, command: `node ${args.map(shown).join(' ')}`, seconds: Math.round((Date.now() - started) / 100) / 10, exitCode: code, signal, timedOut });
    });
  });
}

const selected = BENCHMARKS.filter((b) => !only || only.has(b.name));
const worstCase = selected.reduce((sum, b) => sum + b.seconds, 0);
process.stdout.write(`${selected.length} benchmarks, one after another; worst case ${Math.round(worstCase / 60)} min (the sum of their bounds)\n`);

const summary = { date: new Date().toISOString(), quick, loadAverageAtStart: os.loadavg(), cpus: os.cpus().length, runs: [] };
for (const benchmark of selected) {
  process.stdout.write(`\n=== ${benchmark.name} (bound ${benchmark.seconds} s) ===\n`);
  summary.runs.push(await run(benchmark));
}
summary.loadAverageAtEnd = os.loadavg();
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write('\n');
for (const r of summary.runs) process.stdout.write(`${r.name}: ${r.timedOut ? 'TIMED OUT' : r.exitCode === 0 ? 'ok' : `exit ${r.exitCode}`} in ${r.seconds} s\n`);
process.exitCode = summary.runs.some((r) => r.timedOut || r.exitCode !== 0) ? 1 : 0;
