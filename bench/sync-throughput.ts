/**
 * Sync throughput in Chromium, side by side in one run: 10,000 rows added on client A, pushed,
 * pulled by client B (same user, B already synced) — dxc client and the official
 * dexie-cloud-addon against the same dxc-server, PouchDB against express-pouchdb. The floor is
 * B's raw IndexedDB bulk put of the same rows plus the SQLite insert of them (same pragmas as
 * dxc-server: WAL, synchronous=FULL, one transaction, a prepared statement).
 * Budget (DESIGN.md): dxc within 2× of the floor.
 *
 *   node --import tsx --conditions=source bench/sync-throughput.ts [rows=10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqlite } from '../server/src/storage/sqlite/database.js';
import { startBrowserBench } from './lib/browser-harness.js';
import { Report } from './lib/report.js';

const ROWS = Number(process.argv[2] ?? 10_000);
/** The floor's allowance: dxc's A → server → B may take this many times the floor. @default 2 */
const FLOOR_FACTOR = 2;

function sqliteFloor(rows: object[]): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'dxc-bench-floor-'));
  const db = openSqlite(dir);
  try {
    db.exec('CREATE TABLE rows (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO rows (key, value) VALUES (?, ?)');
    const t0 = performance.now();
    db.transaction(() => rows.forEach((row, i) => insert.run(`itm${i}`, JSON.stringify(row))))();
    return performance.now() - t0;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const report = new Report('sync-throughput', `node --import tsx --conditions=source bench/sync-throughput.ts ${ROWS}`);
const bench = await startBrowserBench();
try {
  const rows = await bench.page.evaluate((n) => (globalThis as any).bench.makeRows(n), ROWS);
  const sqliteMs = sqliteFloor(rows);
  const { ms: idbMs } = await bench.page.evaluate((n) => (globalThis as any).bench.floorIdb(n), ROWS);
  const floor = idbMs + sqliteMs;
  report.add({ name: 'floor: IndexedDB put (one tx)', value: idbMs, unit: 'ms' });
  report.add({ name: 'floor: SQLite insert (one tx, WAL, synchronous=FULL)', value: sqliteMs, unit: 'ms' });
  report.add({ name: 'floor: total', value: floor, unit: 'ms' });

  const results: Record<string, unknown> = {};
  for (const kind of ['dxc', 'official', 'pouchdb'] as const) {
    const started = performance.now();
    try {
      const r =
        kind === 'pouchdb'
          ? await bench.page.evaluate((n) => (globalThis as any).bench.pouchThroughput(n), ROWS)
          : await bench.page.evaluate(([k, n]) => (globalThis as any).bench.cloudThroughput(k, n), [kind, ROWS] as const);
      results[kind] = r;
      const label = { dxc: 'dxc client ↔ dxc-server', official: 'official addon ↔ dxc-server', pouchdb: 'PouchDB ↔ express-pouchdb' }[kind];
      report.add({
        name: `${label}: ${ROWS} rows A → server → B`,
        value: r.totalMs,
        unit: 'ms',
        ...(kind === 'dxc' ? { budget: Math.round(FLOOR_FACTOR * floor) } : {}),
        note: `add ${r.addMs.toFixed(0)} + push ${r.pushMs.toFixed(0)} + pull ${r.pullMs.toFixed(0)} ms; ${(r.totalMs / floor).toFixed(2)}× floor; B holds ${r.rowsOnB}`,
      });
    } catch (error) {
      results[kind] = { error: String(error) };
      console.log(`${kind}: failed after ${(performance.now() - started).toFixed(0)} ms: ${error}`);
    }
  }
  const dxc = results.dxc as { totalMs?: number } | undefined;
  for (const other of ['official', 'pouchdb']) {
    const r = results[other] as { totalMs?: number } | undefined;
    if (dxc?.totalMs && r?.totalMs) report.add({ name: `ratio ${other} / dxc`, value: r.totalMs / dxc.totalMs, unit: '×' });
  }
  report.note('rows', ROWS);
  report.note('floorMs', { indexedDb: idbMs, sqlite: sqliteMs });
  report.note('runs', results);
} finally {
  await bench.close();
}
report.write();
