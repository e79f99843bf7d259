import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideLease } from './lease-decision.js';

const now = new Date('2026-12-03T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();

test('no lease: create one holding it', () => {
  const d = decideLease(undefined, 'cp-a', now, 15);
  assert.equal(d.action, 'create');
  assert.deepEqual(d.action === 'create' && d.spec, { holderIdentity: 'cp-a', leaseDurationSeconds: 15, acquireTime: now.toISOString(), renewTime: now.toISOString(), leaseTransitions: 0 });
});

test('our lease: renew it, keeping when we acquired it', () => {
  const d = decideLease({ holderIdentity: 'cp-a', leaseDurationSeconds: 15, acquireTime: ago(100), renewTime: ago(2), leaseTransitions: 3 }, 'cp-a', now, 15);
  assert.equal(d.action, 'renew');
  assert.equal(d.action === 'renew' && d.spec.acquireTime, ago(100));
  assert.equal(d.action === 'renew' && d.spec.renewTime, now.toISOString());
  assert.equal(d.action === 'renew' && d.spec.leaseTransitions, 3);
});

test("someone else's live lease: follow until it expires; at or after expiry: take it over", () => {
  for (const [renewedAgo, action] of [[0, 'follow'], [14.999, 'follow'], [15, 'take-over'], [60, 'take-over']] as const) {
    const d = decideLease({ holderIdentity: 'cp-b', leaseDurationSeconds: 15, renewTime: ago(renewedAgo), leaseTransitions: 1 }, 'cp-a', now, 15);
    assert.equal(d.action, action, `renewed ${renewedAgo} s ago`);
    if (d.action === 'take-over') {
      assert.equal(d.spec.leaseTransitions, 2);
      assert.equal(d.from, 'cp-b');
    }
    if (d.action === 'follow') assert.equal(d.expiresAt.getTime(), now.getTime() + (15 - renewedAgo) * 1000);
  }
});

test("the holder's own lease duration counts, not ours", () => {
  assert.equal(decideLease({ holderIdentity: 'cp-b', leaseDurationSeconds: 60, renewTime: ago(30) }, 'cp-a', now, 15).action, 'follow');
});

test('a released lease (empty holder) is taken at once', () => {
  assert.equal(decideLease({ holderIdentity: '', leaseDurationSeconds: 15, renewTime: ago(0) }, 'cp-a', now, 15).action, 'take-over');
});
