// Two control-plane replicas elect a leader through a Lease on the API server stand-in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@skiff/telemetry';
import { waitFor } from '@skiff/testing';
import { useKubeApiStandIn } from './standin-kubeconfig.js';
import { LeaderElector } from './leader-elector.js';

const logger = createLogger('test', {}, { level: 'silent' });
const standIn = useKubeApiStandIn();

const replica = (identity: string, changes: boolean[]) =>
  new LeaderElector({ kubeConfig: standIn.kubeConfig(), logger, namespace: 'skiff-system', name: 'skiff-control-plane', identity, leaseDurationSeconds: 1, retryPeriodMs: 100, onChange: (l) => changes.push(l) });

test('exactly one of two replicas leads; when it stops, the other takes over', async () => {
  const a: boolean[] = [];
  const b: boolean[] = [];
  const ra = replica('cp-a', a);
  const rb = replica('cp-b', b);
  ra.start();
  rb.start();
  try {
    await waitFor('a leader', () => ra.leading || rb.leading);
    await new Promise((r) => setTimeout(r, 500)); // several rounds of renewing and trying
    assert.notEqual(ra.leading, rb.leading, 'one leads, one follows');
    const [leader, follower, leaderChanges] = ra.leading ? [ra, rb, a] : [rb, ra, b];
    assert.deepEqual(leaderChanges, [true], 'the leader kept its lease the whole time');
    const holder = (standIn.api.get('Lease', 'skiff-system', 'skiff-control-plane')?.['spec'] as { holderIdentity?: string }).holderIdentity;
    assert.equal(holder, leader === ra ? 'cp-a' : 'cp-b');
    await leader.stop();
    await waitFor('the follower to take over', () => follower.leading);
    const lease = standIn.api.get('Lease', 'skiff-system', 'skiff-control-plane')?.['spec'] as { holderIdentity?: string; leaseTransitions?: number };
    assert.equal(lease.holderIdentity, follower === ra ? 'cp-a' : 'cp-b');
    assert.equal(lease.leaseTransitions, 1);
  } finally {
    await ra.stop();
    await rb.stop();
  }
});

test('a leader that cannot renew for a lease duration steps down', async () => {
  const changes: boolean[] = [];
  const r = replica('cp-c', changes);
  standIn.api.delete('Lease', 'skiff-system', 'skiff-control-plane');
  r.start();
  try {
    await waitFor('leading', () => r.leading);
    standIn.api.failNext('/leases/skiff-control-plane', 500, 1000);
    await waitFor('stepping down', () => !r.leading, 5000);
    assert.deepEqual(changes, [true, false]);
  } finally {
    await r.stop();
  }
});
