import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkloadInfo } from '@skiff/api';
import { build, dr, frontend, gw, ingress, sidecar, vs, workloads } from './bookinfo.fixture.js';

const tcpEcho = (version: string, port: number): WorkloadInfo => ({ ...sidecar('tcp-echo', 'default', version, '127.0.0.1', port), servicePort: 9000, servicePortName: 'tcp' });
const registry = [...workloads, tcpEcho('v1', 16010), tcpEcho('v2', 16011)];
const subsets = dr('default', 'tcp-echo-destination', { host: 'tcp-echo', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });

// Istio's samples/tcp-echo/tcp-echo-20-v2.yaml, as the TCP traffic-shifting task applies it.
const taskGateway = gw('default', 'tcp-echo-gateway', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 31400, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] }] });
const taskRoutes = vs('default', 'tcp-echo', {
  hosts: ['*'],
  gateways: ['tcp-echo-gateway'],
  tcp: [{ match: [{ port: 31400 }], route: [{ destination: { host: 'tcp-echo', port: { number: 9000 }, subset: 'v1' }, weight: 80 }, { destination: { host: 'tcp-echo', port: { number: 9000 }, subset: 'v2' }, weight: 20 }] }],
});

describe('TCP routes', () => {
  test('a sidecar gets one TcpService per TCP port, and no HTTP virtual host for it', () => {
    const { parsed, warnings } = build([subsets], frontend, registry);
    assert.deepEqual(warnings, []);
    const echo = parsed.tcpServices.find((t) => t.name === 'tcp-echo.default.svc.cluster.local:9000');
    assert.deepEqual([echo?.port, echo?.routes.map((r) => r.clusters)], [9000, [[{ cluster: 'outbound|9000||tcp-echo.default.svc.cluster.local', weight: 100 }]]]);
    assert.ok(echo?.domains.includes('tcp-echo:9000'));
    assert.equal(parsed.routeConfigs.find((rc) => rc.name === '9000'), undefined);
  });

  test('an undeclared (sniffed) port gets both: an HTTP virtual host, and a TcpService for a CONNECT', () => {
    const { parsed } = build([subsets], frontend, registry);
    assert.ok(parsed.tcpServices.some((t) => t.name === 'reviews.default.svc.cluster.local:9080'));
    assert.ok(parsed.routeConfigs.find((rc) => rc.name === '9080')?.virtualHosts.some((v) => v.name === 'reviews.default.svc.cluster.local:9080'));
  });

  test('a mesh VirtualService with tcp routes splits by weight and keeps L4 matches', () => {
    const split = vs('default', 'tcp-echo', {
      hosts: ['tcp-echo'],
      tcp: [
        { match: [{ sourceLabels: { app: 'frontend' }, destinationSubnets: ['10.0.0.0/8'] }, { gateways: ['some-gateway'] }], route: [{ destination: { host: 'tcp-echo', subset: 'v2' } }] },
        { match: [{ gateways: ['some-gateway'] }], route: [{ destination: { host: 'tcp-echo', subset: 'v2' } }] },
        { route: [{ destination: { host: 'tcp-echo', subset: 'v1' }, weight: 80 }, { destination: { host: 'tcp-echo', subset: 'v2' }, weight: 20 }] },
      ],
    });
    const { parsed, warnings } = build([subsets, split], frontend, registry);
    assert.deepEqual(warnings, []);
    const routes = parsed.tcpServices.find((t) => t.name.startsWith('tcp-echo.'))?.routes ?? [];
    // The second entry belongs only to a gateway: skipped, not made a catch-all.
    assert.deepEqual(routes.map((r) => r.name), ['default/tcp-echo tcp[0]', 'default/tcp-echo tcp[2]']);
    assert.deepEqual(routes[0]?.matches, [{ sourceLabels: { app: 'frontend' }, destinationSubnets: ['10.0.0.0/8'] }]);
    assert.deepEqual(routes[1]?.clusters, [
      { cluster: 'outbound|9000|v1|tcp-echo.default.svc.cluster.local', weight: 80 },
      { cluster: 'outbound|9000|v2|tcp-echo.default.svc.cluster.local', weight: 20 },
    ]);
  });

  test('routes written under http: for a TCP port are reported, and the default route stands', () => {
    const wrong = vs('default', 'tcp-echo', { hosts: ['tcp-echo'], http: [{ route: [{ destination: { host: 'tcp-echo', subset: 'v2' } }] }] });
    const { parsed, warnings } = build([subsets, wrong], frontend, registry);
    assert.equal(parsed.tcpServices.find((t) => t.name.startsWith('tcp-echo.'))?.routes[0]?.name, 'default');
    assert.ok(warnings.some((w) => w.includes('has no tcp route that applies to sidecars for tcp-echo.default.svc.cluster.local:9000, a TCP port')), warnings.join('\n'));
  });

  test("Istio's TCP traffic-shifting task: the gateway's TCP server gets the 80/20 tcp route", () => {
    const { parsed, warnings } = build([subsets, taskGateway, taskRoutes], ingress, registry);
    assert.deepEqual(warnings, []);
    assert.deepEqual(parsed.gatewayServers, [{ port: 31400, protocol: 'TCP', hosts: ['*'], routeConfig: 'tcp.31400' }]);
    assert.deepEqual(parsed.routeConfigs, []);
    assert.deepEqual(parsed.tcpServices, [
      {
        name: 'tcp.31400',
        domains: ['*'],
        port: 31400,
        routes: [
          {
            name: 'default/tcp-echo tcp[0]',
            origin: { virtualService: 'default/tcp-echo', tcpIndex: 0 },
            matches: [{}],
            clusters: [
              { cluster: 'outbound|9000|v1|tcp-echo.default.svc.cluster.local', weight: 80 },
              { cluster: 'outbound|9000|v2|tcp-echo.default.svc.cluster.local', weight: 20 },
            ],
          },
        ],
      },
    ]);
  });

  test('a gateway TCP port without a tcp route is reported; a route for another port is not used', () => {
    const otherPort = vs('default', 'tcp-echo', { hosts: ['*'], gateways: ['tcp-echo-gateway'], tcp: [{ match: [{ port: 31401 }], route: [{ destination: { host: 'tcp-echo', port: { number: 9000 } } }] }] });
    const { parsed, warnings } = build([taskGateway, otherPort], ingress, registry);
    assert.deepEqual(parsed.tcpServices[0]?.routes, []);
    assert.ok(warnings.some((w) => w.includes('gateway port 31400 serves TCP but no VirtualService bound to it has a tcp route')), warnings.join('\n'));
  });
});
