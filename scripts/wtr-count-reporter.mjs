/**
 * A @web/test-runner reporter that prints `N passed, N failed, N skipped` as the very last line of
 * the run, for CI and the test orchestrator. A test file that fails to load counts as one failure,
 * and a run that never gets to report (a plugin failed to start, say) prints `0 passed, 1 failed`.
 */
function count(result, totals) {
  if (!result) return totals;
  for (const test of result.tests ?? []) {
    if (test.skipped) totals.skipped++;
    else if (test.passed) totals.passed++;
    else totals.failed++;
  }
  for (const suite of result.suites ?? []) count(suite, totals);
  return totals;
}

export function countReporter() {
  let totals;
  // In the exit handler, so nothing WTR prints on shutdown comes after it.
  process.once('exit', () => {
    const { passed, failed, skipped } = totals ?? { passed: 0, failed: 1, skipped: 0 };
    process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  });
  return {
    stop({ sessions }) {
      totals = { passed: 0, failed: 0, skipped: 0 };
      for (const session of sessions) {
        count(session.testResults, totals);
        const empty = !session.testResults?.tests?.length && !session.testResults?.suites?.length;
        if (!session.passed && empty) totals.failed++;
      }
    },
  };
}
