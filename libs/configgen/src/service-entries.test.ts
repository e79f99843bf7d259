import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxySnapshotSchema, type Loaded, type MeshConfig, type ServiceEntry } from '@skiff/api';
import { build, dr, frontend, workloads } from './bookinfo.fixture.js';
import { buildSnapshot } from './build-snapshot.js';

const source = () => ({ file: 'egress.yaml', line: 1 });
const se = (name: string, spec: ServiceEntry['spec']): Loaded<ServiceEntry> => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'default' }, spec, source: source() });

// Istio's egress TLS origination task.
const cnn = se('edition-cnn-com', {
  hosts: ['edition.cnn.com'],
  ports: [
    { number: 80, name: 'http-port', protocol: 'HTTP', targetPort: 443 },
    { number: 443, name: 'https-port', protocol: 'HTTPS' },
  ],
  resolution: 'DNS',
});
const originate = dr('default', 'edition-cnn-com', { host: 'edition.cnn.com', trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE' } }] } });

describe('ServiceEntry hosts in the registry', () => {
  test('an HTTP port gets a virtual host by the host as written; a DNS endpoint is the host at its targetPort', () => {
    const { parsed, warnings } = build([cnn, originate], frontend);
    assert.deepEqual(warnings, []);
    const vhost = parsed.routeConfigs.find((rc) => rc.name === '80')?.virtualHosts.find((v) => v.name === 'edition.cnn.com:80');
    assert.deepEqual(vhost?.domains, ['edition.cnn.com', 'edition.cnn.com:80']);
    const http = parsed.clusters.find((c) => c.name === 'outbound|80||edition.cnn.com');
    assert.deepEqual(http?.endpoints, [{ address: 'edition.cnn.com', port: 443, workload: 'unknown', labels: {}, tlsMode: 'disabled' }]);
    assert.equal(http?.protocol, 'HTTP/1.1');
    assert.equal(http?.serviceNamespace, 'default', "the entry's namespace: metrics name the service by its whole host there");
    assert.equal(parsed.clusters.find((c) => c.service === 'reviews.default.svc.cluster.local')?.serviceNamespace, undefined, 'a workload service splits its FQDN as it is');
    // portLevelSettings for port 80 only: TLS is originated there, not on 443.
    assert.deepEqual(http?.policy?.tls, { mode: 'SIMPLE' });
    assert.equal(parsed.clusters.find((c) => c.name === 'outbound|443||edition.cnn.com')?.policy?.tls, undefined);
  });

  test('an HTTPS port is a TCP service reached by a CONNECT to host:443', () => {
    const { parsed } = build([cnn], frontend);
    const tcp = parsed.tcpServices.find((t) => t.name === 'edition.cnn.com:443');
    assert.deepEqual(tcp?.domains, ['edition.cnn.com', 'edition.cnn.com:443']);
    assert.deepEqual(tcp?.routes.map((r) => r.clusters), [[{ cluster: 'outbound|443||edition.cnn.com', weight: 100 }]]);
  });

  test('STATIC endpoints use their named ports; NONE has no endpoints and sends each request where it was going', () => {
    const db = se('db', { hosts: ['db.example.com'], ports: [{ number: 5432, name: 'tcp-pg', protocol: 'TCP' }], resolution: 'STATIC', endpoints: [{ address: '10.0.0.5', ports: { 'tcp-pg': 15432 }, labels: { version: 'v1' } }] });
    const wild = se('wild', { hosts: ['*.wikipedia.org'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'NONE' });
    const { parsed, warnings } = build([db, wild], frontend);
    assert.deepEqual(warnings, []);
    assert.deepEqual(parsed.clusters.find((c) => c.name === 'outbound|5432||db.example.com')?.endpoints, [{ address: '10.0.0.5', port: 15432, workload: 'unknown', labels: { version: 'v1' }, tlsMode: 'disabled' }]);
    const none = parsed.clusters.find((c) => c.name === 'outbound|443||*.wikipedia.org');
    assert.deepEqual([none?.endpoints, none?.originalDestination], [[], true]);
  });

  test('an entry whose workloadSelector picks the workloads that serve its host is their declaration, not a clash', () => {
    const declared = se('reviews', { hosts: ['reviews.default.svc.cluster.local'], ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', workloadSelector: { labels: { app: 'reviews' } } });
    const { parsed, warnings } = build([declared], frontend);
    assert.deepEqual(warnings, []);
    assert.ok(parsed.clusters.find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local')?.endpoints.every((e) => e.workload.startsWith('reviews-')));
  });

  test('a host a workload already serves stays the workload\'s; the entry is reported', () => {
    const clash = se('clash', { hosts: ['reviews.default.svc.cluster.local'], ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' });
    const { parsed, warnings } = build([clash], frontend);
    assert.ok(warnings.some((w) => w.includes('host reviews.default.svc.cluster.local is already in the registry (a workload serves it)')), warnings.join('\n'));
    assert.ok(parsed.clusters.find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local')?.endpoints.every((e) => e.workload.startsWith('reviews-')));
  });

  test('outboundTrafficPolicy REGISTRY_ONLY reaches the proxy; ALLOW_ANY is the default and left out', () => {
    const only = buildSnapshot({ resources: [cnn], workloads, proxy: frontend, version: '1', outboundTrafficPolicy: 'REGISTRY_ONLY' });
    assert.equal(ProxySnapshotSchema.parse(only.snapshot).outboundTrafficPolicy, 'REGISTRY_ONLY');
    const any = buildSnapshot({ resources: [cnn], workloads, proxy: frontend, version: '1' });
    assert.equal('outboundTrafficPolicy' in any.snapshot, false);
    assert.equal(ProxySnapshotSchema.parse(any.snapshot).outboundTrafficPolicy, 'ALLOW_ANY');
  });

  test("the mesh ConfigMap's outboundTrafficPolicy wins over the control plane's flag, both ways; without a mode the flag stands", () => {
    const meshConfig = (spec: MeshConfig['spec']): Loaded<MeshConfig> => ({ apiVersion: 'v1', kind: 'MeshConfig', metadata: { name: 'istio', namespace: 'istio-system' }, spec, source: { file: 'mesh.yaml', line: 1 } });
    const mode = (resources: Loaded[], flag?: 'ALLOW_ANY' | 'REGISTRY_ONLY') => ProxySnapshotSchema.parse(buildSnapshot({ resources, workloads, proxy: frontend, version: '1', ...(flag ? { outboundTrafficPolicy: flag } : {}) }).snapshot).outboundTrafficPolicy;
    assert.equal(mode([cnn, meshConfig({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })]), 'REGISTRY_ONLY');
    assert.equal(mode([cnn, meshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY' } })], 'REGISTRY_ONLY'), 'ALLOW_ANY');
    assert.equal(mode([cnn, meshConfig({})], 'REGISTRY_ONLY'), 'REGISTRY_ONLY');
  });
});
