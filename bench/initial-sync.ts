/**
 * Initial sync of 100,000 rows (about 20 MB of JSON) into a fresh client in Chromium: the rows are
 * pushed to dxc-server from Node first (10,000 a request, as the user), then a fresh dxc client —
 * and, in the same run, the official addon — logs in as that user and syncs until it holds them
 * all. Prints the time, the peak JS heap of the page (CDP Performance.getMetrics sampled every
 * 250 ms from Node, so a short spike between samples can be missed) and the syncState events.
 * Budget (DESIGN.md): "streams in pages with progress and bounded memory".
 *
 *   node --import tsx --conditions=source bench/initial-sync.ts [rows=100000] [--only dxc]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { encodeTson } from 'dxc/protocol';
import { SCHEMA } from '../server/test/helpers/sync-helpers.js';
import { makeRows } from './browser/rows.js';
import { startBrowserBench, type BrowserBench } from './lib/browser-harness.js';
import { Report } from './lib/report.js';

const ROWS = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 100_000);
const onlyIndex = process.argv.indexOf('--only');
const KINDS = onlyIndex === -1 ? (['dxc', 'official'] as const) : ([process.argv[onlyIndex + 1]] as ('dxc' | 'official')[]);
/** Rows per seeding request. @default 10000 */
const SEED_PAGE = 10_000;
/** Heap sampling period, ms. @default 250 */
const SAMPLE_MS = 250;
const MiB = 2 ** 20;

async function seed(bench: BrowserBench, email: string): Promise<number> {
  const { accessToken, claims } = await bench.tokenFor(email);
  let bytes = 0;
  let lastPull: object | undefined;
  for (let start = 0; start < ROWS; start += SEED_PAGE) {
    const rows = makeRows(Math.min(SEED_PAGE, ROWS - start), start);
    const keys = rows.map(() => `itm${randomBytes(12).toString('base64url')}`);
    const values = rows.map((row, i) => ({ ...row, id: keys[i], realmId: claims.sub, owner: claims.sub }));
    bytes += values.reduce((sum, v) => sum + JSON.stringify(v).length, 0);
    const body = encodeTson({
      v: 3,
      schema: SCHEMA,
      baseRevs: [],
      ...(lastPull ? { lastPull } : {}),
      changes: [{ table: 'items', muts: [{ type: 'insert', keys, values, txid: randomBytes(16).toString('base64') }] }],
    });
    const res = await fetch(`${bench.server.url}/sync`, { method: 'POST', headers: { 'Content-Type': 'application/tson', Authorization: `Bearer ${accessToken}` }, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`seed: ${res.status} ${text.slice(0, 200)}`);
  }
  return bytes;
}

async function heapMiB(bench: BrowserBench): Promise<number> {
  const { metrics } = (await bench.cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN) / MiB;
}

const report = new Report('initial-sync', `node --import tsx --conditions=source bench/initial-sync.ts ${process.argv.slice(2).join(' ')}`.trim());
const bench = await startBrowserBench();
const runs: Record<string, unknown> = {};
try {
  await bench.cdp.send('Performance.enable');
  for (const kind of KINDS) {
    const email = `initial-${kind}-${Date.now()}@example.com`;
    const t = performance.now();
    const bytes = await seed(bench, email);
    console.log(`seeded ${ROWS} rows (${(bytes / MiB).toFixed(1)} MiB of JSON) for ${kind} in ${(performance.now() - t).toFixed(0)} ms`);
    await bench.cdp.send('HeapProfiler.collectGarbage').catch(() => {});
    const baseline = await heapMiB(bench);
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await heapMiB(bench).catch(() => 0));
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
      }
    })();
    try {
      const r = (await bench.page.evaluate(([k, e, n]) => (globalThis as any).bench.initialSync(k, e, n), [kind, email, ROWS] as const)) as {
        ms: number;
        rows: number;
        states: { t: number; phase: string; progress?: number }[];
      };
      sampling = false;
      await sampler;
      const label = kind === 'dxc' ? 'dxc client' : 'official addon';
      const withProgress = r.states.filter((s) => s.progress !== undefined);
      report.add({ name: `${label}: initial sync of ${r.rows} rows (${(bytes / MiB).toFixed(1)} MiB JSON)`, value: r.ms, unit: 'ms' });
      report.add({ name: `${label}: peak JS heap during sync (sampled)`, value: peak, unit: 'MiB', note: `${baseline.toFixed(1)} MiB before; +${(peak - baseline).toFixed(1)} MiB` });
      report.add({ name: `${label}: syncState events`, value: r.states.length, unit: 'events', note: `${withProgress.length} with progress; phases ${[...new Set(r.states.map((s) => s.phase))].join(' → ')}` });
      runs[kind] = { ...r, jsonBytes: bytes, heapBaselineMiB: baseline, heapPeakMiB: peak };
    } catch (error) {
      sampling = false;
      await sampler;
      runs[kind] = { error: String(error) };
      console.log(`${kind}: failed: ${error}`);
    }
  }
  report.note('rows', ROWS);
  report.note('runs', runs);
} finally {
  await bench.close();
}
report.write();
