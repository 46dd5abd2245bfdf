// `npm test`: runs every suite (protocol and server with node:test, browser suites with
// @web/test-runner in Debian Chromium), prepares what they need, and ends with one
// `N passed, N failed, N skipped` line summing them all. Exits non-zero if any suite fails.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from './ensure-chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

/** Test files directly in `dir` ending in `suffix` (node 20's --test does not expand globs). */
const testFiles = (dir, suffix = '.test.ts') =>
  existsSync(path.join(root, dir))
    ? readdirSync(path.join(root, dir))
        .filter((f) => f.endsWith(suffix))
        .map((f) => path.join(dir, f))
    : [];
const hasTests = (dir) => testFiles(dir).length > 0;
// A hung test fails after 5 minutes instead of holding CI until its deadline; --test-force-exit
// ends a file whose tests finished even if a handle leaked.
const nodeTest = (files) => [
  'node',
  ['--import', 'tsx', '--conditions=source', '--test', '--test-concurrency=1', '--test-timeout=300000', '--test-force-exit', ...files],
];

/** Each suite: a name, whether it exists yet, and the command that runs it. */
const suites = [
  {
    name: 'protocol',
    present: () => hasTests('test/protocol'),
    command: () => nodeTest(testFiles('test/protocol')),
  },
  {
    name: 'server',
    present: () => hasTests('server/test'),
    command: ['npm', ['test', '--silent', '-w', 'dxc-server']],
  },
  {
    // The same server suite on PostgreSQL: DXC_TEST_PG_URL when set and reachable, else a throwaway
    // cluster from the machine's PostgreSQL binaries, else skipped with a message.
    name: 'server-postgres',
    present: () => hasTests('server/test'),
    command: ['node', ['scripts/ensure-postgres.mjs', '--', 'npm', 'test', '--silent', '-w', 'dxc-server']],
  },
  {
    name: 'browser',
    present: () => existsSync(path.join(root, 'web-test-runner.config.mjs')),
    prepare: ensureChromium,
    command: ['npm', ['run', '--silent', 'test:browser']],
  },
  {
    // Playwright driven from node:test: pages without a test runner, service workers, PWA flows.
    name: 'e2e',
    present: () => e2eFiles().length > 0,
    prepare: ensureChromium,
    command: () => nodeTest(e2eFiles()),
  },
];

function e2eFiles() {
  return [
    ...testFiles('test/elements/node', '.spec.ts'),
    ...testFiles('test/sw'),
    ...testFiles('test/starter'),
    ...testFiles('test/reliability'),
    ...testFiles('test/examples'),
  ];
}

const only = process.argv.slice(2);

function run(cmd, args) {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Counts from node:test's `# pass N` summary or a `N passed, N failed` line (our WTR reporter). */
function countsOf(output) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const node = (label) => [...plain.matchAll(new RegExp(`^# ${label} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
  if (/^# pass \d+$/m.test(plain)) {
    return { passed: node('pass'), failed: node('fail') + node('cancelled'), skipped: node('skipped') + node('todo') };
  }
  const lines = [...plain.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)];
  const last = lines.at(-1);
  if (last) return { passed: Number(last[1]), failed: Number(last[2]), skipped: Number(last[3] ?? 0) };
  return { passed: 0, failed: 0, skipped: 0 };
}

const total = { passed: 0, failed: 0, skipped: 0 };
const failedSuites = [];
for (const suite of suites) {
  if (only.length && !only.includes(suite.name)) continue;
  if (!suite.present()) continue;
  process.stdout.write(`\n=== ${suite.name} suite ===\n`);
  try {
    suite.prepare?.();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    failedSuites.push(suite.name);
    total.failed++;
    continue;
  }
  const [cmd, args] = typeof suite.command === 'function' ? suite.command() : suite.command;
  const { code, output } = await run(cmd, args);
  const counts = countsOf(output);
  for (const key of Object.keys(total)) total[key] += counts[key];
  if (code !== 0) {
    failedSuites.push(suite.name);
    if (counts.failed === 0) total.failed++; // a suite that crashed before counting still fails the run
  }
  process.stdout.write(`=== ${suite.name}: ${counts.passed} passed, ${counts.failed} failed, exit ${code} ===\n`);
}

if (failedSuites.length) process.stdout.write(`\nFailed suites: ${failedSuites.join(', ')}\n`);
process.stdout.write(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
process.exit(failedSuites.length ? 1 : 0);
