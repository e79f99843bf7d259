import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { DashboardEvents } from '@skiff/telemetry';
import { EventStream } from './event-stream.js';
import { handleScenarioRequest, MAX_SCENARIO_REPORT_BYTES, ScenarioBoard } from './scenario-board.js';

const report = {
  name: 'canary',
  summary: 'reviews v1 -> v2',
  state: 'running',
  step: { index: 2, title: 'v2 at 25%' },
  weights: { v1: 75, v2: 25 },
  checks: [{ name: 'request-success-rate', ok: true, detail: '100% >= 99%' }],
};

let server: Server;
let url: string;
const events = new EventStream<DashboardEvents>();
const board = new ScenarioBoard(events, () => new Date('2026-11-23T10:00:00Z'));
before(async () => {
  server = createServer((req, res) => handleScenarioRequest(board, req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debug/scenario`;
});
after(() => {
  server.close();
  events.close();
});

const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

test('nothing is shown until a runner reports; the event stream starts with null', async () => {
  assert.equal(events.latest('scenario'), 'null');
  assert.equal(await (await fetch(url)).json(), null);
});

test('a report is shown as sent, stamped with when it arrived, and published to the dashboard', async () => {
  const res = await post(JSON.stringify(report));
  assert.equal(res.status, 200);
  const shown = { ...report, updatedAt: '2026-11-23T10:00:00.000Z' };
  assert.deepEqual(await res.json(), shown);
  assert.deepEqual(await (await fetch(url)).json(), shown);
  assert.deepEqual(JSON.parse(events.latest('scenario') ?? ''), shown);
});

test('a bad report is refused with the field and why, and the last good one stays', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...report, state: 'exploded' }, /bad scenario report: state: /],
    [{ ...report, weights: { v2: 250 } }, /bad scenario report: weights\.v2: /],
    [{ ...report, checks: [{ name: 'x', ok: 'yes', detail: '' }] }, /bad scenario report: checks\.0\.ok: /],
    [{ ...report, script: '<img onerror=alert(1)>' }, /bad scenario report: report: .*script/],
  ];
  for (const [body, message] of cases) {
    const res = await post(JSON.stringify(body));
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, message);
  }
  const notJson = await post('{"name":');
  assert.equal(notJson.status, 400);
  assert.match(((await notJson.json()) as { error: string }).error, /not JSON/);
  assert.equal(((await (await fetch(url)).json()) as { step: { title: string } }).step.title, 'v2 at 25%');
});

test('an oversized report is refused with 413; other methods with 405', async () => {
  const big = await post(JSON.stringify({ ...report, summary: 'x'.repeat(MAX_SCENARIO_REPORT_BYTES) })).catch((error: unknown) => error);
  // The server answers 413 and closes; depending on timing the client sees the answer or the reset.
  if (big instanceof Response) assert.equal(big.status, 413);
  else assert.ok(big instanceof Error);
  assert.equal(((await (await fetch(url)).json()) as { summary: string }).summary, report.summary, 'the oversized report was not taken');
  assert.equal((await fetch(url, { method: 'DELETE' })).status, 405);
});
