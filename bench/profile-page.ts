/**
 * Where the page's time goes: a CPU profile (CDP Profiler) of one page workload, printed as the
 * functions with the most self time, grouped by function and source. Not part of `npm run bench`;
 * a tool for the hot-path work BENCHMARKS.md describes.
 *
 *   DXC_BENCH_MINIFY=0 node --import tsx --conditions=source bench/profile-page.ts cloudThroughput dxc 10000
 *   DXC_BENCH_MINIFY=0 node --import tsx --conditions=source bench/profile-page.ts pouchThroughput 10000
 */
import { startBrowserBench } from './lib/browser-harness.js';
import { summarizeProfile, type CpuProfile } from './lib/profile.js';

const [fn = 'cloudThroughput', ...rawArgs] = process.argv.slice(2);
const args = rawArgs.map((a) => (/^\d+$/.test(a) ? Number(a) : a));
const TOP = Number(process.env.DXC_PROFILE_TOP ?? 30);

const bench = await startBrowserBench();
try {
  await bench.cdp.send('Profiler.enable');
  await bench.cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await bench.cdp.send('Profiler.start');
  const result = await bench.page.evaluate(([name, a]) => (globalThis as any).bench[name as string](...(a as unknown[])), [fn, args] as const);
  const { profile } = (await bench.cdp.send('Profiler.stop')) as { profile: CpuProfile };
  console.log(`${fn}(${args.join(', ')}) → ${JSON.stringify(result).slice(0, 300)}`);
  console.log(summarizeProfile(profile, TOP).join('\n'));
} finally {
  await bench.close();
}
