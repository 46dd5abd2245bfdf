// Makes a PostgreSQL server available to the test suites and exports its admin URL as
// DXC_TEST_PG_URL:
// 1. DXC_TEST_PG_URL, if set and reachable (CI: .ci/run starts the machine's cluster);
// 2. otherwise a throwaway cluster (initdb in a temp directory, trust auth, loopback only, fsync off)
//    from the binaries under /usr/lib/postgresql/*/bin, run as the `postgres` user when we are root
//    (initdb refuses root) and stopped and deleted when this process exits;
// 3. otherwise nothing: the PostgreSQL suites are skipped with a message saying what to install.
// It also drops test databases (dxc_t_<pid>_*) left behind by test processes that died.
//
//   node scripts/ensure-postgres.mjs                  print the URL (or why there is none)
//   node scripts/ensure-postgres.mjs -- CMD ARGS...   run CMD with DXC_TEST_PG_URL and
//                                                     DXC_TEST_BACKEND=postgres, then clean up
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Connects with `pg` from the repository and runs `sql`; throws if the server is unreachable. */
function probe(url, sql = 'SELECT 1') {
  const script = `
    const pg = require('pg');
    const client = new pg.Client({ connectionString: process.env.URL, connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.query(process.env.SQL)).then((r) => {
      process.stdout.write(JSON.stringify(r.rows)); return client.end();
    }).catch((e) => { process.stderr.write(e.message); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { ...process.env, URL: url, SQL: sql },
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (result.status !== 0) throw new Error(result.stderr || `exit ${result.status}`);
  return JSON.parse(result.stdout || '[]');
}

function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function reachable(url) {
  try {
    probe(url);
    return true;
  } catch {
    return false;
  }
}

/** Drop the databases of test processes that no longer run (their pid is in the name). */
function dropOrphanDatabases(url) {
  const rows = probe(url, "SELECT datname FROM pg_database WHERE datname LIKE 'dxc\\_t\\_%'");
  for (const { datname } of rows) {
    const pid = Number(/^dxc_t_(\d+)_/.exec(datname)?.[1]);
    if (!pid || isAlive(pid)) continue;
    try {
      probe(url, `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } catch {
      // Another run may be dropping it at the same moment.
    }
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? path.join(base, versions.at(-1), 'bin') : undefined;
}

/** Start a throwaway cluster; returns its URL and a synchronous stop(). */
async function startThrowawayCluster(bin) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dxc-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (file, args) => {
    if (!asRoot) return execFileSync(path.join(bin, file), args, { stdio: 'pipe' });
    const quoted = [path.join(bin, file), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { stdio: 'pipe' });
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const port = await freePort();
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  run('pg_ctl', [
    '-D', data, '-l', path.join(dir, 'log'), '-w',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    'start',
  ]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Returns `{url, stop}` with DXC_TEST_PG_URL set, or `{skip}` with the reason there is no PostgreSQL.
 */
export async function ensurePostgres() {
  let given = process.env.DXC_TEST_PG_URL;
  // A server that answers but lacks the named database (e.g. `/test` on a fresh cluster): use
  // `postgres`, which every cluster has; tests only need it to create their own databases.
  if (given && !reachable(given) && reachable(withDatabase(given, 'postgres'))) given = withDatabase(given, 'postgres');
  if (given && reachable(given)) {
    dropOrphanDatabases(given);
    process.env.DXC_TEST_PG_URL = given;
    return { url: given, stop() {} };
  }
  if (given) process.stderr.write('ensure-postgres: DXC_TEST_PG_URL does not answer; trying a throwaway cluster\n');
  const bin = postgresBinDir();
  if (!bin) {
    return {
      skip:
        (given ? 'DXC_TEST_PG_URL does not answer and there are ' : 'DXC_TEST_PG_URL is not set and there are ') +
        'no PostgreSQL binaries under /usr/lib/postgresql. Set DXC_TEST_PG_URL=postgres://user@host:5432/db, ' +
        'or install them (sudo apt-get install -y postgresql) for a throwaway test cluster.',
    };
  }
  const cluster = await startThrowawayCluster(bin);
  process.once('exit', () => cluster.stop());
  process.env.DXC_TEST_PG_URL = cluster.url;
  return cluster;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const separator = process.argv.indexOf('--');
  const command = separator === -1 ? [] : process.argv.slice(separator + 1);
  let found;
  try {
    found = await ensurePostgres();
  } catch (error) {
    process.stderr.write(`ensure-postgres: ${error.message}\n`);
    process.exit(1);
  }
  if (found.skip) {
    process.stdout.write(`PostgreSQL suite skipped: ${found.skip}\n`);
    // The summary line scripts/test.mjs counts, so the skip shows in the total.
    if (command.length) process.stdout.write('0 passed, 0 failed, 1 skipped\n');
    process.exit(0);
  }
  if (!command.length) {
    process.stdout.write(`${found.url}\n`);
    found.stop();
    process.exit(0);
  }
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  const child = spawn(command[0], command.slice(1), {
    cwd: process.cwd(),
    stdio: 'inherit',
    env: { ...process.env, DXC_TEST_PG_URL: found.url, DXC_TEST_BACKEND: 'postgres' },
  });
  child.on('close', (code) => {
    found.stop();
    process.exit(code ?? 1);
  });
}
