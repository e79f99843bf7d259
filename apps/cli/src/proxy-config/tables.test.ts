import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxySnapshotSchema } from '@skiff/api';
import { endpointStatus } from './config-dump.js';
import { endpointRows, routeRows, summarizeDomains } from './tables.js';

const snapshot = ProxySnapshotSchema.parse({
  version: 'v',
  routeConfigs: [
    {
      name: '9080',
      virtualHosts: [
        {
          name: 'reviews',
          domains: ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', 'reviews', 'reviews:9080'],
          routes: [
            { name: 'jason', origin: { virtualService: 'default/reviews', httpIndex: 0 }, matches: [{ headers: [{ name: 'end-user', match: { exact: 'jason' } }] }, { uri: { prefix: '/v2' } }], action: { kind: 'route', clusters: [{ cluster: 'c2', weight: 100 }] } },
            { name: 'default', action: { kind: 'route', clusters: [{ cluster: 'c1', weight: 100 }] } },
          ],
        },
      ],
    },
  ],
  clusters: [
    { name: 'c1', service: 'reviews.default.svc.cluster.local', port: 9080, endpoints: [{ address: '10.0.0.1', port: 15006, workload: 'reviews-v1.default' }, { address: '10.0.0.2', port: 15006, workload: 'reviews-v2.default' }] },
  ],
});

describe('proxy-config rows', () => {
  test('routes: matches described by libs/routing, OR between matches, /* for a catch-all, istioctl VirtualService names', () => {
    assert.deepEqual(
      routeRows(snapshot).map((r) => [r.routeConfig, r.match, r.virtualService]),
      [
        ['9080', 'header end-user exact "jason" OR uri prefix "/v2"', 'reviews.default'],
        ['9080', '/*', ''],
      ],
    );
  });

  test('domains: the shortest ones without a port, then how many more', () => {
    assert.equal(summarizeDomains(['reviews.default.svc.cluster.local', 'reviews:9080', 'reviews', 'reviews.default']), 'reviews, reviews.default + 2 more');
    assert.equal(summarizeDomains(['*']), '*');
    assert.equal(summarizeDomains(['a:1']), 'a:1');
  });

  test('endpoints: status from /clusters, HEALTHY when it says nothing', () => {
    const health = new Map([['c1 10.0.0.2:15006', endpointStatus({ address: '10.0.0.2:15006', ejected: true })] as const]);
    assert.deepEqual(
      endpointRows(snapshot, health).map((e) => [e.endpoint, e.status]),
      [
        ['10.0.0.1:15006', 'HEALTHY'],
        ['10.0.0.2:15006', 'EJECTED'],
      ],
    );
  });

  test('endpointStatus reads the ways a proxy may report an unavailable host', () => {
    assert.equal(endpointStatus({}), 'HEALTHY');
    assert.equal(endpointStatus({ health: 'healthy' }), 'HEALTHY');
    assert.equal(endpointStatus({ health: 'EJECTED' }), 'EJECTED');
    assert.equal(endpointStatus({ health: 'failed_outlier_check' }), 'EJECTED');
    assert.equal(endpointStatus({ healthy: false }), 'UNHEALTHY');
  });
});
