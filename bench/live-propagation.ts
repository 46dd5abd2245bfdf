/**
 * Live propagation A → server → B over WebSocket, side by side in one run: the dxc client and the
 * official dexie-cloud-addon against the same dxc-server, two tabs' worth of databases in one
 * Chromium page, same user. One change at a time: A adds a row; the latency ends when B's
 * database holds it (a liveQuery on B wakes on the write itself). 20 warm-up changes are dropped.
 * Budget (DESIGN.md): p50 ≤ 15 ms, p99 ≤ 50 ms.
 *
 *   node --import tsx --conditions=source bench/live-propagation.ts [changes=500] [--only dxc|official]
 */
import { startBrowserBench } from './lib/browser-harness.js';
import { percentile, Report } from './lib/report.js';

const CHANGES = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 500);
const onlyIndex = process.argv.indexOf('--only');
const KINDS = onlyIndex === -1 ? (['dxc', 'official'] as const) : ([process.argv[onlyIndex + 1]] as ('dxc' | 'official')[]);
/** DESIGN.md budgets, ms. */
const P50_BUDGET_MS = 15;
const P99_BUDGET_MS = 50;

const report = new Report('live-propagation', `node --import tsx --conditions=source bench/live-propagation.ts ${process.argv.slice(2).join(' ')}`.trim());
const bench = await startBrowserBench();
const summary: Record<string, unknown> = {};
try {
  for (const kind of KINDS) {
    try {
      const { latencies, lost } = (await bench.page.evaluate(([k, n]) => (globalThis as any).bench.livePropagation(k, n), [kind, CHANGES] as const)) as {
        latencies: number[];
        lost: number;
      };
      if (lost) console.log(`${kind}: ${lost} changes did not reach B within 10 s (left out of the percentiles)`);
      const label = kind === 'dxc' ? 'dxc client' : 'official addon';
      const p50 = percentile(latencies, 50);
      const p95 = percentile(latencies, 95);
      const p99 = percentile(latencies, 99);
      report.add({ name: `${label}: p50 over ${latencies.length} changes`, value: p50, unit: 'ms', budget: P50_BUDGET_MS });
      report.add({ name: `${label}: p95`, value: p95, unit: 'ms' });
      report.add({ name: `${label}: p99`, value: p99, unit: 'ms', budget: P99_BUDGET_MS });
      report.add({ name: `${label}: max`, value: Math.max(...latencies), unit: 'ms' });
      summary[kind] = { count: latencies.length, lost, p50, p95, p99, max: Math.max(...latencies), mean: latencies.reduce((a, b) => a + b, 0) / latencies.length };
    } catch (error) {
      summary[kind] = { error: String(error) };
      console.log(`${kind}: failed: ${error}`);
    }
  }
  const d = summary.dxc as { p50?: number; p99?: number };
  const o = summary.official as { p50?: number; p99?: number };
  if (d?.p50 && o?.p50) report.add({ name: 'ratio official / dxc at p50', value: o.p50 / d.p50, unit: '×' });
  if (d?.p99 && o?.p99) report.add({ name: 'ratio official / dxc at p99', value: o.p99 / d.p99, unit: '×' });
  report.note('changes', CHANGES);
  report.note('summary', summary);
} finally {
  await bench.close();
}
report.write();
