import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationRuleSpec } from '../resources.js';
import { assertOneError, assertValid, check, doc, summary } from '../test-helpers.js';

const dr = (spec: unknown) => doc('DestinationRule', spec);
const policy = (trafficPolicy: unknown) => dr({ host: 'reviews', trafficPolicy });

describe('DestinationRule', () => {
  test('Bookinfo reviews: subsets v1, v2, v3 by version label', () => {
    const spec = {
      host: 'reviews',
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
        { name: 'v3', labels: { version: 'v3' } },
      ],
    };
    const r = check(dr(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  test('every field Skiff implements is accepted and kept as written', () => {
    const spec: DestinationRuleSpec = {
      host: 'reviews.default.svc.cluster.local',
      exportTo: ['*'],
      trafficPolicy: {
        loadBalancer: { simple: 'LEAST_REQUEST' },
        connectionPool: {
          tcp: { maxConnections: 100, connectTimeout: '30ms' },
          http: { http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 1, maxRetries: 3, idleTimeout: '1m' },
        },
        outlierDetection: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 2, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50, minHealthPercent: 10 },
        tls: { mode: 'ISTIO_MUTUAL' },
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: 'user', path: '/', ttl: '0s' } } } } },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } },
        { name: 'v3', trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } },
        { name: 'v4', trafficPolicy: { loadBalancer: { consistentHash: { httpQueryParameterName: 'u' } } } },
      ],
    };
    const r = check(dr(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  test('host is required', () => assertOneError(check(dr({ subsets: [] })), 'spec.host', 'required field is missing'));
  test('host must be a DNS name', () => assertOneError(check(dr({ host: 'reviews:9080' })), 'spec.host', 'not a valid DNS name'));
  test('subset names are required DNS labels', () => {
    assertOneError(check(dr({ host: 'r', subsets: [{ labels: { version: 'v1' } }] })), 'spec.subsets[0].name', 'required');
    assertOneError(check(dr({ host: 'r', subsets: [{ name: 'V1' }] })), 'spec.subsets[0].name', 'DNS-1123');
  });
  test('subset names are unique', () =>
    assertOneError(
      check(dr({ host: 'r', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2' }, { name: 'v1', labels: { version: 'v3' } }] })),
      'spec.subsets[2].name',
      'duplicate subset name "v1" (already used by subsets[0])',
    ));
  test('subset labels are a map of Kubernetes labels', () => {
    assertOneError(check(dr({ host: 'r', subsets: [{ name: 'v1', labels: ['version=v1'] }] })), 'spec.subsets[0].labels', 'expected a mapping');
    assertOneError(check(dr({ host: 'r', subsets: [{ name: 'v1', labels: { version: 1 } }] })), 'spec.subsets[0].labels.version', 'expected a string, got 1');
  });
  test('load balancer names are checked, with a suggestion', () =>
    assertOneError(check(policy({ loadBalancer: { simple: 'ROUND_ROBN' } })), 'spec.trafficPolicy.loadBalancer.simple', 'did you mean "ROUND_ROBIN"?'));
  test('simple and consistentHash exclude each other', () =>
    assertOneError(check(policy({ loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } })), 'spec.trafficPolicy.loadBalancer.consistentHash', 'not both'));
  test('consistentHash takes exactly one key', () => {
    assertOneError(check(policy({ loadBalancer: { consistentHash: {} } })), 'spec.trafficPolicy.loadBalancer.consistentHash', 'needs one hash key');
    assertOneError(
      check(policy({ loadBalancer: { consistentHash: { httpHeaderName: 'x', useSourceIp: true } } })),
      'spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp',
      'only one hash key',
    );
  });
  test('outlier detection: durations and percentages', () => {
    assertOneError(check(policy({ outlierDetection: { interval: 10 } })), 'spec.trafficPolicy.outlierDetection.interval', 'expected a duration');
    assertOneError(check(policy({ outlierDetection: { maxEjectionPercent: 150 } })), 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', 'at most 100');
    assertOneError(check(policy({ outlierDetection: { consecutive5xxErrors: -1 } })), 'spec.trafficPolicy.outlierDetection.consecutive5xxErrors', 'at least 0');
  });
  test('tls mode is required and checked', () => {
    assertOneError(check(policy({ tls: {} })), 'spec.trafficPolicy.tls.mode', 'required');
    assertOneError(check(policy({ tls: { mode: 'ISTIO_MUTAL' } })), 'spec.trafficPolicy.tls.mode', 'did you mean "ISTIO_MUTUAL"?');
  });
  test('Istio fields Skiff lacks are warnings and dropped', () => {
    const r = check(dr({ host: 'r', workloadSelector: { matchLabels: { app: 'r' } }, trafficPolicy: { tunnel: {}, loadBalancer: { simple: 'RANDOM', localityLbSetting: {} }, tls: { mode: 'SIMPLE', sni: 'x', caCrl: '/crl.pem' } } }));
    assert.deepEqual(summary(r.issues), [
      'warning spec.trafficPolicy.loadBalancer.localityLbSetting: not supported by Skiff, ignored',
      'warning spec.trafficPolicy.tls.caCrl: not supported by Skiff, ignored',
      'warning spec.trafficPolicy.tunnel: not supported by Skiff, ignored',
      'warning spec.workloadSelector: not supported by Skiff, ignored',
    ]);
    assert.deepEqual(r.resource?.spec, { host: 'r', trafficPolicy: { loadBalancer: { simple: 'RANDOM' }, tls: { mode: 'SIMPLE', sni: 'x' } } });
  });
  test("TLS origination as Istio's egress task writes it: portLevelSettings with tls SIMPLE; MUTUAL needs a client certificate", () => {
    const spec = { host: 'edition.cnn.com', trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE', sni: 'edition.cnn.com', caCertificates: '/etc/ca.pem', subjectAltNames: ['edition.cnn.com'] } }] } };
    const r = check(dr(spec));
    assert.deepEqual(summary(r.issues), []);
    assert.deepEqual(r.resource?.spec, spec);
    assertOneError(check(dr({ host: 'x', trafficPolicy: { tls: { mode: 'MUTUAL', caCertificates: '/ca.pem' } } })), 'spec.trafficPolicy.tls', 'mode MUTUAL needs clientCertificate and privateKey, or credentialName');
    assertOneError(check(dr({ host: 'x', trafficPolicy: { portLevelSettings: [{ port: {}, tls: { mode: 'SIMPLE' } }] } })), 'spec.trafficPolicy.portLevelSettings[0].port.number', '');
  });
  test('a misspelled field gets a suggestion', () => assertOneError(check(dr({ host: 'r', subset: [] })), 'spec.subset', 'did you mean "subsets"?'));
});
