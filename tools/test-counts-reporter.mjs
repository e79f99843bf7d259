// A node:test reporter that writes the counts the spec reporter's summary shows (tests, suites,
// pass, fail, cancelled, skipped, todo) and the failed tests' names and first error lines as one
// JSON line, so tools/test.mjs can add up the runs it makes into one summary and
// tools/test-repeat.mjs can say what failed in which run. (Node 20 has no test:summary event;
// these rules give the same numbers as its spec summary.)
export default async function* testCounts(source) {
  const counts = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') {
      counts.suites++;
      continue;
    }
    counts.tests++;
    if (event.data.skip) counts.skipped++;
    else if (event.data.todo) counts.todo++;
    else if (event.type === 'test:pass') counts.pass++;
    else if (event.data.details?.error?.failureType === 'cancelledByParent') counts.cancelled++;
    else {
      counts.fail++;
      const error = event.data.details?.error;
      const message = String(error?.cause?.message ?? error?.message ?? error ?? '').split('\n').find((line) => line.trim() !== '') ?? '';
      failures.push({ name: event.data.name, message });
    }
  }
  yield `${JSON.stringify({ ...counts, failures })}\n`;
}
