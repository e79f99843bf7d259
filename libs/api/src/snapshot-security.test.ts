import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSnapshot, ProxySnapshotSchema, type SecuritySnapshotInput } from './snapshot.js';

const bare = { version: '1', routeConfigs: [], clusters: [] };

describe('snapshot security section', () => {
  test('optional: snapshots without it still parse (older control planes)', () => {
    assert.equal(ProxySnapshotSchema.parse(bare).security, undefined);
  });

  test('defaults fill what configgen may leave out', () => {
    const security: SecuritySnapshotInput = {
      trustDomain: 'cluster.local',
      peerAuthentication: { mode: 'STRICT' },
      authorization: [{ name: 'allow-nothing', namespace: 'default', action: 'ALLOW' }],
      requestAuthentication: [{ policy: 'default/jwt', issuer: 'https://idp' }],
    };
    assert.deepEqual(ProxySnapshotSchema.parse({ ...bare, security }).security, {
      trustDomain: 'cluster.local',
      peerAuthentication: { mode: 'STRICT', portLevel: {}, policies: [] },
      authorization: [{ name: 'allow-nothing', namespace: 'default', action: 'ALLOW', rules: [] }],
      requestAuthentication: [{ policy: 'default/jwt', issuer: 'https://idp', fromHeaders: [], fromParams: [], forwardOriginalToken: false, outputClaimToHeaders: [] }],
    });
  });

  test('a resolved mode only (UNSET never reaches a proxy) and no unknown fields', () => {
    const withMode = (mode: string) => JSON.stringify({ ...bare, security: { trustDomain: 'td', peerAuthentication: { mode } } });
    assert.throws(() => parseSnapshot(withMode('UNSET')), /invalid snapshot at security\.peerAuthentication\.mode/);
    const extra = { ...bare, security: { trustDomain: 'td', peerAuthentication: { mode: 'STRICT' }, authorization: [{ name: 'a', namespace: 'b', action: 'ALLOW', rules: [{ from: [{ principal: ['x'] }] }] }] } };
    assert.throws(() => parseSnapshot(JSON.stringify(extra)), /invalid snapshot at security\.authorization\.0\.rules\.0\.from\.0/);
  });

  test('endpoints may carry identity and tlsMode', () => {
    const cluster = { name: 'c', service: 's', port: 9080, endpoints: [{ address: '10.0.0.1', port: 15006, workload: 'w', identity: 'spiffe://cluster.local/ns/default/sa/w', tlsMode: 'istio' }] };
    const parsed = ProxySnapshotSchema.parse({ ...bare, clusters: [cluster] });
    assert.deepEqual(parsed.clusters[0]?.endpoints[0], { ...cluster.endpoints[0], labels: {} });
    assert.throws(() => ProxySnapshotSchema.parse({ ...bare, clusters: [{ ...cluster, endpoints: [{ ...cluster.endpoints[0], tlsMode: 'mutual' }] }] }));
  });
});
