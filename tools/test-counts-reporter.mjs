// A node:test reporter that writes the counts the spec reporter's summary shows (tests, suites,
// pass, fail, cancelled, skipped, todo) and the failed tests' names and first error lines as one
// JSON line, so tools/test.mjs can add up the runs it makes into one summary (with a digest of
// what failed just above it) and tools/test-repeat.mjs can say what failed in which run. (Node 20 has no test:summary event;
// these rules give the same numbers as its spec summary.)
export default async function* testCounts(source) {
  const counts = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') {
      counts.suites++;
      // A suite fails on its own when a hook (before, after) does; its tests are then cancelled.
      const error = event.data.details?.error;
      if (event.type === 'test:fail' && error?.failureType !== 'subtestsFailed') failures.push(failure(event, 'suite'));
      continue;
    }
    counts.tests++;
    if (event.data.skip) counts.skipped++;
    else if (event.data.todo) counts.todo++;
    else if (event.type === 'test:pass') counts.pass++;
    else if (event.data.details?.error?.failureType === 'cancelledByParent') counts.cancelled++;
    else {
      counts.fail++;
      failures.push(failure(event, 'test'));
    }
  }
  yield `${JSON.stringify({ ...counts, failures })}\n`;
}

/** Name, file, how long it ran, and the first lines of its error: enough to tell a timeout or a hang from a wrong answer. */
function failure(event, kind) {
  const error = event.data.details?.error;
  const text = String(error?.cause?.message ?? error?.message ?? error ?? '');
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return {
    kind,
    name: event.data.name,
    file: event.data.file,
    ms: Math.round(event.data.details?.duration_ms ?? 0),
    failureType: error?.failureType,
    message: lines[0] ?? '',
    detail: lines.slice(1, 6).map((line) => line.slice(0, 300)),
  };
}
