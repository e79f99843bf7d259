import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkloadInfo } from '@skiff/api';
import { WorkloadRegistry } from './registry.js';

const w = (id: string, inboundPort: number, extra: Partial<WorkloadInfo> = {}): WorkloadInfo => ({ id, kind: 'sidecar', service: 'reviews', namespace: 'default', serviceAccount: 'reviews', labels: {}, address: '127.0.0.1', inboundPort, servicePort: 9080, ...extra });
const ids = (r: WorkloadRegistry) => r.list().map((x) => `${x.id}:${x.inboundPort}`);

test('two streams announcing one id are two entries: neither replaces the other', () => {
  const r = new WorkloadRegistry(10);
  r.register('s1', w('reviews-v1.default', 16106));
  r.register('s2', w('reviews-v1.default', 40000));
  assert.deepEqual(ids(r), ['reviews-v1.default:16106', 'reviews-v1.default:40000']);
  assert.equal(r.get('reviews-v1.default')?.inboundPort, 16106, 'get() gives the first');
  r.stop();
});

test("a stream's entry leaves after the grace period; a re-registration within it keeps it", async () => {
  const r = new WorkloadRegistry(50);
  let changes = 0;
  r.onChange(() => changes++);
  r.register('s1', w('a.default', 1));
  r.disconnected('s1');
  r.register('s1', w('a.default', 1));
  await new Promise((res) => setTimeout(res, 80));
  assert.deepEqual(ids(r), ['a.default:1']);
  r.disconnected('s1');
  await new Promise((res) => setTimeout(res, 80));
  assert.deepEqual(ids(r), []);
  assert.equal(changes, 2, 'added, then removed; the quick reconnect changed nothing');
  r.stop();
});

test('restored entries stand in until their proxy reconnects or the window ends; health is kept', async () => {
  const r = new WorkloadRegistry(10);
  r.restore([w('a.default', 1), w('b.default', 2, { healthy: false })], 60);
  assert.equal(r.awaitingReconnect, 2);
  assert.deepEqual(r.live(), [], 'nothing live yet: restored entries are not saved again');
  r.register('s9', w('a.default', 1));
  assert.deepEqual(ids(r), ['a.default:1', 'b.default:2']);
  assert.equal(r.awaitingReconnect, 1);
  assert.equal(r.list().find((x) => x.id === 'b.default')?.healthy, false);
  await new Promise((res) => setTimeout(res, 90));
  assert.deepEqual(ids(r), ['a.default:1'], 'b never came back');
  r.stop();
});
