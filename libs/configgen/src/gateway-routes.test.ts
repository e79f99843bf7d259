import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayServerSnapshotSchema, type WorkloadInfo } from '@skiff/api';
import { bookinfo, bookinfoGateway, build, frontendIngress, gw, ingress, reviewsRule, vs, workloads } from './bookinfo.fixture.js';

const otherGatewayProxy: WorkloadInfo = { ...ingress, id: 'egress.istio-system', service: 'istio-egressgateway', labels: { istio: 'egressgateway' } };

describe('gateway proxies', () => {
  test('a Gateway selecting the proxy opens its server port with routes from the bound VirtualService', () => {
    const { parsed, warnings } = build(bookinfo, ingress);
    assert.deepEqual(warnings, []);
    assert.deepEqual(parsed.gatewayServers, [{ port: 80, protocol: 'HTTP', hosts: ['*'], routeConfig: 'http.80' }]);
    assert.deepEqual(parsed.routeConfigs.map((rc) => rc.name), ['http.80']); // no sidecar route configs
    const [vhost] = parsed.routeConfigs[0]?.virtualHosts ?? [];
    assert.equal(vhost?.name, 'default/frontend:80');
    assert.deepEqual(vhost?.domains, ['*']);
    assert.equal(vhost?.routes[0]?.name, 'default/frontend http[0]');
    assert.deepEqual(vhost?.routes[0]?.action.kind === 'route' && vhost.routes[0].action.clusters, [{ cluster: 'outbound|9080||frontend.default.svc.cluster.local', weight: 100 }]);
  });

  test('a Gateway whose selector does not match the proxy gives it nothing', () => {
    const { parsed } = build(bookinfo, otherGatewayProxy, [...workloads, otherGatewayProxy]);
    assert.deepEqual(parsed.gatewayServers, []);
    assert.deepEqual(parsed.routeConfigs, []);
    assert.equal(parsed.clusters.length, 5);
  });

  test('VirtualServices bind by bare name (VS namespace) or ns/name; mesh-only ones do not bind', () => {
    const edge = gw('istio-system', 'edge', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 8080, protocol: 'HTTP' }, hosts: ['*.example.com'] }] });
    const byRef = vs('default', 'shop', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
    // Bare "edge" from default means default/edge, which does not exist.
    const wrongNs = vs('default', 'wrong', { hosts: ['wrong.example.com'], gateways: ['edge'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
    const meshOnly = vs('default', 'mesh-only', { hosts: ['mesh.example.com'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
    const { parsed } = build([...bookinfo, edge, byRef, wrongNs, meshOnly], ingress);
    assert.deepEqual(parsed.gatewayServers.map((s) => s.port), [80, 8080]);
    const rc8080 = parsed.routeConfigs.find((rc) => rc.name === 'http.8080');
    assert.deepEqual(rc8080?.virtualHosts.map((v) => [v.name, v.domains]), [['default/shop:8080', ['shop.example.com']]]);
    const rc80 = parsed.routeConfigs.find((rc) => rc.name === 'http.80');
    assert.deepEqual(rc80?.virtualHosts.map((v) => v.name), ['default/frontend:80']);
  });

  test('server hosts filter VirtualService hosts, including ns/ and ./ forms', () => {
    const gateway = gw('istio-system', 'edge', {
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 80, protocol: 'HTTP' }, hosts: ['default/*.example.com', './internal.example.org'] }],
    });
    const wide = vs('default', 'wide', { hosts: ['*', 'a.example.com', 'b.other.com'], gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
    const fromProd = vs('prod', 'prod-shop', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'reviews.default' } }] }] });
    const fromGwNs = vs('istio-system', 'internal', { hosts: ['internal.example.org'], gateways: ['edge'], http: [{ route: [{ destination: { host: 'reviews.default' } }] }] });
    const { parsed } = build([gateway, wide, fromProd, fromGwNs], ingress);
    assert.deepEqual(parsed.gatewayServers, [{ port: 80, protocol: 'HTTP', hosts: ['default/*.example.com', './internal.example.org'], routeConfig: 'http.80' }]);
    assert.deepEqual(parsed.routeConfigs[0]?.virtualHosts.map((v) => [v.name, v.domains]), [
      ['default/wide:80', ['*.example.com', 'a.example.com']],
      ['istio-system/internal:80', ['internal.example.org']],
    ]);
  });

  test('servers sharing a port across Gateways merge into one route config; matches scoped per gateway', () => {
    const second = gw('default', 'second', { selector: { app: 'istio-ingressgateway' }, servers: [{ port: { number: 80, protocol: 'HTTP' }, hosts: ['api.example.com'] }] });
    const api = vs('default', 'api', {
      hosts: ['api.example.com'],
      gateways: ['second', 'mesh'],
      http: [
        { match: [{ uri: { prefix: '/internal' }, gateways: ['mesh'] }], route: [{ destination: { host: 'ratings' } }] },
        { match: [{ uri: { prefix: '/' }, gateways: ['default/second'] }], route: [{ destination: { host: 'reviews' } }] },
      ],
    });
    const { parsed, warnings } = build([...bookinfo, second, api], ingress);
    assert.deepEqual(warnings, []);
    assert.deepEqual(parsed.gatewayServers, [{ port: 80, protocol: 'HTTP', hosts: ['*', 'api.example.com'], routeConfig: 'http.80' }]);
    const vhosts = parsed.routeConfigs[0]?.virtualHosts ?? [];
    assert.deepEqual(vhosts.map((v) => v.name), ['default/api:80', 'default/frontend:80']);
    assert.deepEqual(vhosts[0]?.routes.map((r) => r.name), ['default/api http[1]']);
  });

  test('two VirtualServices claiming one host on a gateway port: the first keeps it, the conflict is reported', () => {
    const dup = vs('default', 'zz-frontend', { hosts: ['*'], gateways: ['bookinfo-gateway'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
    const { parsed, warnings } = build([bookinfoGateway, frontendIngress, dup, reviewsRule], ingress);
    assert.deepEqual(parsed.routeConfigs[0]?.virtualHosts.map((v) => v.name), ['default/frontend:80']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /conflict: on gateway port 80, host \* is claimed by VirtualService default\/frontend and VirtualService default\/zz-frontend \(mesh\.yaml:\d+\)/);
  });

  test('a Gateway with no selector applies to every gateway proxy', () => {
    const open = gw('default', 'open', { servers: [{ port: { number: 81, protocol: 'HTTP' }, hosts: ['*'] }] });
    assert.deepEqual(build([open], otherGatewayProxy, [...workloads, otherGatewayProxy]).parsed.gatewayServers.map((s) => s.port), [81]);
  });
});

describe('gateway TLS', () => {
  const route = (name: string, hosts: string[]) => vs('default', name, { hosts, gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'frontend' } }] }] });

  test('an HTTPS server passes its TLS settings through; an HTTP server its httpsRedirect', () => {
    const edge = gw('istio-system', 'edge', {
      selector: { istio: 'ingressgateway' },
      servers: [
        { port: { number: 80, protocol: 'HTTP' }, hosts: ['shop.example.com'], tls: { httpsRedirect: true } },
        { port: { number: 443, protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
      ],
    });
    const { parsed, warnings } = build([edge, route('shop', ['shop.example.com'])], ingress);
    assert.deepEqual(warnings, []);
    assert.deepEqual(parsed.gatewayServers, [
      { port: 80, protocol: 'HTTP', hosts: ['shop.example.com'], routeConfig: 'http.80', httpsRedirect: true },
      { port: 443, protocol: 'HTTPS', hosts: ['shop.example.com'], routeConfig: 'http.443', tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
    ]);
    assert.deepEqual(parsed.routeConfigs.map((rc) => [rc.name, rc.virtualHosts.map((v) => v.domains)]), [
      ['http.80', [['shop.example.com']]],
      ['http.443', [['shop.example.com']]],
    ]);
  });

  test('servers on one port with different certificates stay separate entries (SNI picks); equal ones merge', () => {
    const edge = gw('istio-system', 'edge', {
      selector: { istio: 'ingressgateway' },
      servers: [
        { port: { number: 443, protocol: 'HTTPS' }, hosts: ['a.example.com'], tls: { mode: 'SIMPLE', serverCertificate: '/certs/a.crt', privateKey: '/certs/a.key', caCertificates: '/certs/unused-ca.crt' } },
        { port: { number: 443, protocol: 'HTTPS' }, hosts: ['b.example.com'], tls: { mode: 'MUTUAL', credentialName: 'b', serverCertificate: '/ignored.crt' } },
        { port: { number: 443, protocol: 'HTTPS' }, hosts: ['c.example.com'], tls: { mode: 'SIMPLE', serverCertificate: '/certs/a.crt', privateKey: '/certs/a.key' } },
      ],
    });
    const { parsed, warnings } = build([edge, route('all', ['*.example.com'])], ingress);
    assert.deepEqual(warnings, []);
    assert.deepEqual(parsed.gatewayServers, [
      // caCertificates means nothing under SIMPLE, so the first and third servers are equal.
      { port: 443, protocol: 'HTTPS', hosts: ['a.example.com', 'c.example.com'], routeConfig: 'http.443', tls: { mode: 'SIMPLE', serverCertificate: '/certs/a.crt', privateKey: '/certs/a.key' } },
      { port: 443, protocol: 'HTTPS', hosts: ['b.example.com'], routeConfig: 'http.443', tls: { mode: 'MUTUAL', credentialName: 'b' } },
    ]);
    assert.deepEqual(parsed.routeConfigs.map((rc) => rc.name), ['http.443']);
    assert.deepEqual(parsed.routeConfigs[0]?.virtualHosts[0]?.domains, ['a.example.com', 'b.example.com', 'c.example.com']);
  });

  test('servers sharing a port must agree on TLS: the one that disagrees is ignored and named', () => {
    const edge = gw('istio-system', 'edge', {
      selector: { istio: 'ingressgateway' },
      servers: [
        { port: { number: 443, protocol: 'HTTPS' }, hosts: ['a.example.com'], tls: { mode: 'SIMPLE', credentialName: 'a' } },
        { port: { number: 443, protocol: 'HTTP' }, hosts: ['b.example.com'] },
      ],
    });
    const { parsed, warnings } = build([edge, route('all', ['*.example.com'])], ingress);
    assert.deepEqual(parsed.gatewayServers.map((s) => s.hosts), [['a.example.com']]);
    assert.deepEqual(parsed.routeConfigs[0]?.virtualHosts[0]?.domains, ['a.example.com']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /Gateway istio-system\/edge \(mesh\.yaml:\d+\) spec\.servers\[1\]: port 443 terminates TLS \(.*spec\.servers\[0\]\) but this HTTP server serves plaintext; the server is ignored/);
  });

  test('a TLS mode Skiff cannot serve (AUTO_PASSTHROUGH, ISTIO_MUTUAL, or terminating a TLS server) is ignored with a warning', () => {
    const edge = gw('istio-system', 'edge', {
      selector: { istio: 'ingressgateway' },
      servers: [
        { port: { number: 443, protocol: 'HTTPS' }, hosts: ['a.example.com'], tls: { mode: 'AUTO_PASSTHROUGH' } },
        { port: { number: 8443, protocol: 'HTTPS' }, hosts: ['a.example.com'], tls: { mode: 'ISTIO_MUTUAL' } },
        { port: { number: 9443, protocol: 'TLS' }, hosts: ['a.example.com'], tls: { mode: 'SIMPLE', credentialName: 'a' } },
      ],
    });
    const { parsed, warnings } = build([edge, route('all', ['*.example.com'])], ingress);
    assert.deepEqual(parsed.gatewayServers, []);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0] ?? '', /spec\.servers\[0\]: tls mode AUTO_PASSTHROUGH on a HTTPS server is not supported/);
    assert.match(warnings[1] ?? '', /spec\.servers\[1\]: tls mode ISTIO_MUTUAL/);
    assert.match(warnings[2] ?? '', /spec\.servers\[2\]: tls mode SIMPLE on a TLS server/);
  });

  test("Istio's ingress SNI passthrough task: PASSTHROUGH (the default mode) routes by SNI with the bound tls routes, limited to the server's hosts", () => {
    const mygateway = gw('default', 'mygateway', {
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'PASSTHROUGH' }, hosts: ['nginx.example.com', 'other.example.com'] }],
    });
    const nginx = vs('default', 'nginx', {
      hosts: ['nginx.example.com'],
      gateways: ['mygateway'],
      tls: [
        { match: [{ port: 443, sniHosts: ['nginx.example.com'] }], route: [{ destination: { host: 'reviews', port: { number: 9080 } } }] },
        { match: [{ port: 443, sniHosts: ['not-on-the-server.example.org'] }], route: [{ destination: { host: 'reviews', port: { number: 9080 } } }] },
      ],
    });
    const { parsed, warnings } = build([mygateway, nginx], ingress);
    assert.deepEqual(warnings, []);
    assert.deepEqual(parsed.gatewayServers, [{ port: 443, protocol: 'HTTPS', hosts: ['nginx.example.com', 'other.example.com'], routeConfig: 'tcp.443' }]);
    assert.deepEqual(parsed.tcpServices, [
      {
        name: 'tcp.443',
        domains: ['*'],
        port: 443,
        sni: true,
        routes: [{ name: 'default/nginx tls[0]', origin: { virtualService: 'default/nginx', tlsIndex: 0 }, matches: [{ sniHosts: ['nginx.example.com'] }], clusters: [{ cluster: 'outbound|9080||reviews.default.svc.cluster.local', weight: 100 }] }],
      },
    ]);
  });

  test('the snapshot schema refuses a terminating server without a certificate', () => {
    assert.equal(GatewayServerSnapshotSchema.safeParse({ port: 443, protocol: 'HTTPS', hosts: ['*'], routeConfig: 'http.443', tls: { mode: 'SIMPLE' } }).success, false);
    assert.equal(GatewayServerSnapshotSchema.safeParse({ port: 443, protocol: 'HTTPS', hosts: ['*'], routeConfig: 'http.443', tls: { mode: 'MUTUAL', serverCertificate: 'a', privateKey: 'b' } }).success, false);
    assert.equal(GatewayServerSnapshotSchema.safeParse({ port: 443, protocol: 'HTTPS', hosts: ['*'], routeConfig: 'http.443', tls: { mode: 'MUTUAL', credentialName: 'x' } }).success, true);
  });
});
