import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkloadInfo } from '@skiff/api';
import { workloadRows } from './ls.js';

const w = (id: string, extra: Partial<WorkloadInfo> = {}): WorkloadInfo => ({ id, kind: 'sidecar', service: id.split(/[-.]/)[0] as string, namespace: 'default', serviceAccount: 'sa', labels: { version: 'v1' }, address: '127.0.0.1', inboundPort: 16000, servicePort: 9080, ...extra });
const s = (proxy: string, sent: string, acked: string, extra = {}) => ({ proxy, kind: 'sidecar', identity: `spiffe://cluster.local/ns/default/sa/${proxy}`, sent, acked, synced: sent === acked, nacks: 0, ...extra });

test("skiff ls: each workload's sync state as istioctl proxy-status names it", () => {
  const rows = workloadRows(
    [w('orders-v1.default'), w('orders-v2.default', { healthy: false }), w('web.default'), w('gone.default')],
    [s('orders-v1.default', 'a', 'a'), s('orders-v2.default', 'b', 'a'), s('web.default', 'b', 'a', { nacks: 1, lastNack: { version: 'b', error: 'bad' } }), { ...s('istio-ingressgateway.istio-system', 'a', 'a'), kind: 'gateway' }],
  );
  assert.deepEqual(
    rows.map((r) => [r.workload, r.sync, r.health]),
    [
      ['gone.default', '-', 'healthy'],
      ['istio-ingressgateway.istio-system', 'SYNCED', '-'],
      ['orders-v1.default', 'SYNCED', 'healthy'],
      ['orders-v2.default', 'STALE', 'UNHEALTHY'],
      ['web.default', 'NACKED', 'healthy'],
    ],
  );
  assert.equal(rows.find((r) => r.workload === 'orders-v1.default')?.address, '127.0.0.1:16000');
  assert.equal(rows.find((r) => r.workload === 'gone.default')?.identity, 'default/sa', 'no stream: the announced identity');
});

test('skiff ls: a NACK of an older version no longer counts once a later one is acknowledged', () => {
  const [row] = workloadRows([w('a.default')], [s('a.default', 'c', 'c', { nacks: 1, lastNack: { version: 'b', error: 'bad' } })]);
  assert.equal(row?.sync, 'SYNCED');
});
