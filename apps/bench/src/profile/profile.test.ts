import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePerfReport, shareByCategory } from './perf-categories.js';
import { parseStraceSummary, perRequest } from './strace-summary.js';

const STRACE = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 88.36    6.107823        9915       616        87 futex
  2.95    0.203900           5     35876         1 read
  2.83    0.195664          10     17929           writev
  0.01    0.000607          55        11        11 connect
------ ----------- ----------- --------- --------- ----------------
100.00    6.912056          93     73932        99 total`;

test('strace -c: calls and errors per syscall, with and without an errors column, total left out', () => {
  const rows = parseStraceSummary(STRACE);
  assert.deepEqual(rows, [
    { name: 'read', calls: 35876, errors: 1 },
    { name: 'writev', calls: 17929, errors: 0 },
    { name: 'futex', calls: 616, errors: 87 },
    { name: 'connect', calls: 11, errors: 11 },
  ]);
  assert.deepEqual(perRequest(rows, 17898, 0.5).map((r) => [r.name, r.perRequest.toFixed(2)]), [['read', '2.00'], ['writev', '1.00']]);
  assert.throws(() => perRequest(rows, 0), /no requests/);
});

const PERF = `# Samples: 19K of event 'cpu-clock:ppp'
    14.28%  [k] pvm_irq_enable
     1.56%  [.] Builtins_KeyedLoadIC_Megamorphic
     1.31%  [.] v8::internal::(anonymous namespace)::Invoke
     1.16%  [.] JS:*run file:///work/main/dist/apps/proxy/main.js:340:1140
     0.77%  [.] JS:*onStreamRead node:internal/stream_base_commons:168:22
     0.80%  [.] __GI___writev
     0.26%  [.] ssl3_get_record
     0.26%  [.] node::crypto::TLSWrap::EncOut
     0.98%  [.] _int_malloc
     0.47%  [.] v8::internal::Scavenger::ScavengeObject<v8::internal::FullHeapObjectSlot>`;

test('perf report: each symbol lands in one category, JIT names split by file', () => {
  const lines = parsePerfReport(PERF);
  assert.equal(lines.length, 10);
  const shares = shareByCategory(lines, 'dist/apps/proxy/');
  assert.deepEqual([...shares.keys()], ['kernel', 'native (node, V8, libc, libuv)', 'v8 builtins', 'memory (malloc, V8 GC)', 'program JavaScript', "node's JavaScript", 'TLS (OpenSSL, TLSWrap)']);
  assert.equal(shares.get('TLS (OpenSSL, TLSWrap)')?.toFixed(2), '0.52');
  assert.equal(shares.get('memory (malloc, V8 GC)')?.toFixed(2), '1.45');
  assert.equal(shares.get('native (node, V8, libc, libuv)')?.toFixed(2), '2.11');
  assert.equal(shares.get('program JavaScript'), 1.16);
});
