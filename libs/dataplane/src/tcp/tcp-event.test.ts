import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpReport, type TcpEvent } from './tcp-event.js';

const base = (): TcpEvent => ({ reporter: 'source', phase: 'open', startTime: 0, durationMs: 0, bytesReceived: 0, bytesSent: 0, responseFlags: '-', source: { workload: 'client', namespace: 'default' }, destination: {}, connectionSecurityPolicy: 'none' });

test('a long connection reports its new bytes every period while they move, none while idle, and the rest at close', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const seen: TcpEvent[] = [];
  const report = new TcpReport(base(), (e) => seen.push({ ...e }));
  const counts = { received: 0, sent: 0 };
  report.open();
  report.track(() => counts, 5_000);
  counts.received = 100;
  counts.sent = 10;
  t.mock.timers.tick(5_000);
  t.mock.timers.tick(10_000); // idle: nothing moved, nothing reported
  counts.received = 160;
  t.mock.timers.tick(5_000);
  report.close('-', 200, 30);
  t.mock.timers.tick(10_000); // no report after the close
  assert.deepEqual(seen.map((e) => [e.phase, e.newBytesReceived, e.newBytesSent]), [
    ['open', undefined, undefined],
    ['progress', 100, 10],
    ['progress', 60, 0],
    ['close', 40, 20],
  ]);
  const close = seen.at(-1) as TcpEvent;
  assert.deepEqual([close.bytesReceived, close.bytesSent], [200, 30], 'close carries the totals, for the access log');
  assert.equal(seen.reduce((sum, e) => sum + (e.newBytesReceived ?? 0), 0), 200, 'each byte counted once');
});
