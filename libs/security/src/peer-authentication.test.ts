import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { peerAuthAccepts, peerAuthModeFor } from './peer-authentication.js';

describe('PeerAuthentication at the inbound listener', () => {
  const security = { peerAuthentication: { mode: 'STRICT' as const, portLevel: { '8080': 'DISABLE' as const, '9090': 'PERMISSIVE' as const } } };
  test('a port-level setting wins for its port; other ports get the workload mode', () => {
    assert.equal(peerAuthModeFor(security, 8080), 'DISABLE');
    assert.equal(peerAuthModeFor(security, '9090'), 'PERMISSIVE');
    assert.equal(peerAuthModeFor(security, 9080), 'STRICT');
    assert.equal(peerAuthModeFor({ peerAuthentication: { mode: 'DISABLE' } }, 9080), 'DISABLE', 'portLevel may be left out');
  });
  test("no security section: Istio's default, PERMISSIVE", () => assert.equal(peerAuthModeFor(undefined, 9080), 'PERMISSIVE'));
  test('STRICT takes mTLS only, DISABLE plaintext only, PERMISSIVE both', () => {
    const table = (['STRICT', 'PERMISSIVE', 'DISABLE'] as const).map((mode) => [mode, peerAuthAccepts(mode, { mtls: true }).accepted, peerAuthAccepts(mode, { mtls: false }).accepted]);
    assert.deepEqual(table, [
      ['STRICT', true, false],
      ['PERMISSIVE', true, true],
      ['DISABLE', false, true],
    ]);
    assert.match(peerAuthAccepts('STRICT', { mtls: false }).reason, /plaintext connection refused: PeerAuthentication mode is STRICT/);
  });
});
