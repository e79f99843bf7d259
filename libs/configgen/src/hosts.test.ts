import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intersectHosts, parseServerHost, resolveHost, sidecarDomains } from './hosts.js';

const namespaces = new Set(['default', 'prod']);

test('short names resolve relative to the writing namespace; other hosts stay as written', () => {
  assert.equal(resolveHost('reviews', 'default', namespaces), 'reviews.default.svc.cluster.local');
  assert.equal(resolveHost('reviews', 'prod', namespaces), 'reviews.prod.svc.cluster.local');
  assert.equal(resolveHost('reviews.prod', 'default', namespaces), 'reviews.prod.svc.cluster.local');
  assert.equal(resolveHost('reviews.prod.svc', 'default', namespaces), 'reviews.prod.svc.cluster.local');
  assert.equal(resolveHost('Reviews.Prod.svc.cluster.local', 'default', namespaces), 'reviews.prod.svc.cluster.local');
  assert.equal(resolveHost('example.com', 'default', namespaces), 'example.com');
  assert.equal(resolveHost('*.example.com', 'default', namespaces), '*.example.com');
  assert.equal(resolveHost('*', 'default', namespaces), '*');
});

test('intersecting hosts keeps the more specific one, or nothing', () => {
  assert.equal(intersectHosts('*', 'bookinfo.example.com'), 'bookinfo.example.com');
  assert.equal(intersectHosts('bookinfo.example.com', '*'), 'bookinfo.example.com');
  assert.equal(intersectHosts('*.example.com', 'bookinfo.example.com'), 'bookinfo.example.com');
  assert.equal(intersectHosts('bookinfo.example.com', '*.example.com'), 'bookinfo.example.com');
  assert.equal(intersectHosts('*.example.com', '*.shop.example.com'), '*.shop.example.com');
  assert.equal(intersectHosts('*.example.com', 'example.org'), undefined);
  assert.equal(intersectHosts('a.example.com', 'b.example.com'), undefined);
  assert.equal(intersectHosts('*.example.com', 'example.com'), undefined);
});

test('server hosts carry a namespace: bare = any, "." = the Gateway namespace', () => {
  assert.deepEqual(parseServerHost('bookinfo.example.com', 'gw'), { namespace: '*', host: 'bookinfo.example.com' });
  assert.deepEqual(parseServerHost('*/x.com', 'gw'), { namespace: '*', host: 'x.com' });
  assert.deepEqual(parseServerHost('./x.com', 'gw'), { namespace: 'gw', host: 'x.com' });
  assert.deepEqual(parseServerHost('prod/*', 'gw'), { namespace: 'prod', host: '*' });
});

test('sidecar domains include the bare short name only in the service namespace', () => {
  assert.deepEqual(sidecarDomains('reviews', 'default', 9080, 'default'), [
    'reviews.default.svc.cluster.local',
    'reviews.default.svc.cluster.local:9080',
    'reviews',
    'reviews:9080',
    'reviews.default',
    'reviews.default:9080',
    'reviews.default.svc',
    'reviews.default.svc:9080',
  ]);
  const fromProd = sidecarDomains('reviews', 'default', 9080, 'prod');
  assert.ok(!fromProd.includes('reviews') && !fromProd.includes('reviews:9080'));
  assert.ok(fromProd.includes('reviews.default') && fromProd.includes('reviews.default.svc:9080'));
});
