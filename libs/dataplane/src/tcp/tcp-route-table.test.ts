import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpService } from '@skiff/api';
import { pickTcpCluster, selectTcpRoute, TcpRouteTable, type TcpConnectionFacts } from './tcp-route-table.js';

const facts = (extra: Partial<TcpConnectionFacts> = {}): TcpConnectionFacts => ({ port: 9000, sourceLabels: { app: 'curl', version: 'v1' }, sourceNamespace: 'foo', ...extra });
const service: TcpService = {
  name: 'tcp-echo.foo.svc.cluster.local:9000',
  domains: ['tcp-echo:9000', 'tcp-echo.foo.svc.cluster.local:9000'],
  port: 9000,
  routes: [
    { name: 'subnet', matches: [{ destinationSubnets: ['10.1.0.0/16'] }], clusters: [{ cluster: 'subnet', weight: 100 }] },
    { name: 'labels', matches: [{ sourceLabels: { app: 'curl', version: 'v2' } }, { sourceNamespace: 'bar', port: 9000 }], clusters: [{ cluster: 'labels', weight: 100 }] },
    { name: 'other-port', matches: [{ port: 9001 }], clusters: [{ cluster: 'other-port', weight: 100 }] },
    { name: 'split', matches: [], clusters: [{ cluster: 'v1', weight: 80 }, { cluster: 'v2', weight: 20 }] },
  ],
};

describe('TCP route table', () => {
  const table = new TcpRouteTable([service]);
  const compiled = table.forAuthority('TCP-ECHO:9000');

  test('a service is found by any of its domains, case-insensitively; others are not', () => {
    assert.equal(compiled?.service.name, service.name);
    assert.equal(table.forAuthority('tcp-echo.foo.svc.cluster.local:9000'), compiled);
    assert.equal(table.forAuthority('tcp-echo:9001'), undefined);
    assert.equal(table.byName(service.name), compiled);
  });

  test('the first route whose L4 match holds wins; any one match of a route is enough', () => {
    const name = (f: TcpConnectionFacts) => (compiled ? selectTcpRoute(compiled, f)?.route.name : undefined);
    assert.equal(name(facts({ destinationIp: '10.1.2.3' })), 'subnet');
    assert.equal(name(facts({ destinationIp: '10.2.0.1' })), 'split');
    assert.equal(name(facts()), 'split', 'no destination address: a subnet match cannot hold');
    assert.equal(name(facts({ sourceLabels: { app: 'curl', version: 'v2', extra: 'x' } })), 'labels');
    assert.equal(name(facts({ sourceNamespace: 'bar' })), 'labels');
    assert.equal(name(facts({ sourceNamespace: 'bar', port: 9002 })), 'split');
    assert.equal(name(facts({ port: 9001 })), 'other-port');
  });

  test('weights pick clusters in proportion, by the random draw', () => {
    const split = compiled?.routes[3];
    assert.ok(split);
    assert.equal(pickTcpCluster(split, () => 0), 'v1');
    assert.equal(pickTcpCluster(split, () => 0.799), 'v1');
    assert.equal(pickTcpCluster(split, () => 0.8), 'v2');
    assert.equal(pickTcpCluster(split, () => 0.9999), 'v2');
    const zero = new TcpRouteTable([{ ...service, routes: [{ name: 'z', matches: [], clusters: [{ cluster: 'a', weight: 0 }] }] }]).byName(service.name)?.routes[0];
    assert.ok(zero);
    assert.equal(pickTcpCluster(zero, () => 0.5), undefined);
  });
});
