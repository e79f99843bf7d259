// The chain's shape, without sockets: filters a config does not need are left out when the chain
// is built for it (no RequestAuthentication or AuthorizationPolicy for this workload: no security
// filter, so no promise per request).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@skiff/telemetry';
import { parseSnapshot } from '@skiff/api';
import { CompiledSnapshot } from '../core/compiled-snapshot.js';
import { FilterChain } from './filter-chain.js';
import { securityFilter } from './filters/request-security.js';
import { tracingFilter } from './filters/tracing.js';
import { observeFilter } from './filters/observe.js';
import { requestIdFilter } from './filters/request-id.js';

const logger = createLogger('test', {}, { level: 'silent' });

function snapshot(security?: Record<string, unknown>): CompiledSnapshot {
  return new CompiledSnapshot(parseSnapshot(JSON.stringify({ version: 'v1', routeConfigs: [], clusters: [], ...(security ? { security } : {}) })));
}

const peerAuthentication = { mode: 'PERMISSIVE' };

test('no policy for this workload: the security filter is left out of the chain', () => {
  for (const config of [undefined, snapshot(), snapshot({ trustDomain: 'cluster.local', peerAuthentication })]) {
    const chain = new FilterChain([requestIdFilter, securityFilter(config, { port: 9080 })], logger);
    assert.deepEqual(chain.names, ['request-id']);
  }
});

test('an AuthorizationPolicy or a RequestAuthentication for this workload puts it in', () => {
  const withPolicy = snapshot({ trustDomain: 'cluster.local', peerAuthentication, authorization: [{ name: 'deny-all', namespace: 'default', action: 'ALLOW', rules: [] }] });
  const withJwt = snapshot({ trustDomain: 'cluster.local', peerAuthentication, requestAuthentication: [{ policy: 'default/jwt', issuer: 'https://issuer.example', jwks: '{"keys":[]}' }] });
  for (const config of [withPolicy, withJwt]) {
    const chain = new FilterChain([requestIdFilter, securityFilter(config, { port: 9080 })], logger);
    assert.deepEqual(chain.names, ['request-id', 'security']);
  }
});

test('no tracer and no observer: neither the tracing nor the observe filter is in the chain', () => {
  assert.deepEqual(new FilterChain([observeFilter('source', undefined, false), tracingFilter(undefined, 'client'), requestIdFilter], logger).names, ['request-id']);
  assert.deepEqual(new FilterChain([observeFilter('source', () => undefined, false), requestIdFilter], logger).names, ['observe', 'request-id']);
});
