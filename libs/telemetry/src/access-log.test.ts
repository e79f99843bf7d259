import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createAccessLogger, parseAccessLogMode } from './access-log.js';
import type { ObservedRequest } from './metrics/observed-request.js';

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ base: { component: 'proxy' } }, stream), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const base: ObservedRequest = {
  reporter: 'source',
  startTime: Date.parse('2025-01-02T03:04:05.678Z'),
  durationMs: 41.6,
  method: 'GET',
  path: '/api/product/1',
  authority: 'frontend:9080',
  protocol: 'http',
  requestId: 'abc-123',
  userAgent: 'curl/8.0',
  responseCode: 200,
  responseFlags: '-',
  requestBytes: 12,
  responseBytes: 345,
  route: 'default',
  upstreamCluster: 'outbound|9080||frontend.default.svc.cluster.local',
  upstreamHost: '127.0.0.1:15106',
  upstreamServiceTimeMs: 39.2,
  xForwardedFor: '10.0.0.1',
  source: { workload: 'istio-ingressgateway', namespace: 'istio-system' },
  destination: { workload: 'frontend', namespace: 'default', service: 'frontend.default.svc.cluster.local' },
  connectionSecurityPolicy: 'mutual_tls',
};

describe('createAccessLogger', () => {
  test('one JSON line per request with Envoy access-log fields', () => {
    const { logger, lines } = capture();
    const log = createAccessLogger(logger);
    log(base);
    const [line] = lines();
    assert.ok(line);
    assert.equal(lines().length, 1);
    assert.deepEqual(
      {
        start_time: line['start_time'],
        method: line['method'],
        path: line['path'],
        protocol: line['protocol'],
        response_code: line['response_code'],
        response_flags: line['response_flags'],
        bytes_received: line['bytes_received'],
        bytes_sent: line['bytes_sent'],
        duration: line['duration'],
        upstream_service_time: line['upstream_service_time'],
        x_forwarded_for: line['x_forwarded_for'],
        user_agent: line['user_agent'],
        request_id: line['request_id'],
        authority: line['authority'],
        upstream_host: line['upstream_host'],
        upstream_cluster: line['upstream_cluster'],
        route_name: line['route_name'],
        reporter: line['reporter'],
        source_workload: line['source_workload'],
        destination_workload: line['destination_workload'],
        connection_security_policy: line['connection_security_policy'],
      },
      {
        start_time: '2025-01-02T03:04:05.678Z',
        method: 'GET',
        path: '/api/product/1',
        protocol: 'HTTP/1.1',
        response_code: 200,
        response_flags: '-',
        bytes_received: 12,
        bytes_sent: 345,
        duration: 42,
        upstream_service_time: 39,
        x_forwarded_for: '10.0.0.1',
        user_agent: 'curl/8.0',
        request_id: 'abc-123',
        authority: 'frontend:9080',
        upstream_host: '127.0.0.1:15106',
        upstream_cluster: 'outbound|9080||frontend.default.svc.cluster.local',
        route_name: 'default',
        reporter: 'source',
        source_workload: 'istio-ingressgateway',
        destination_workload: 'frontend',
        connection_security_policy: 'mutual_tls',
      },
    );
    assert.equal(line['log'], 'access');
  });

  test('Envoy response flags pass through: UT, UO, UH, URX, FI, DI, RBAC', () => {
    const { logger, lines } = capture();
    const log = createAccessLogger(logger);
    const cases: Array<[number, string]> = [[504, 'UT'], [503, 'UO'], [503, 'UH'], [503, 'URX'], [500, 'FI'], [200, 'DI'], [403, 'RBAC']];
    for (const [code, flags] of cases) log({ ...base, responseCode: code, responseFlags: flags });
    assert.deepEqual(lines().map((l) => [l['response_code'], l['response_flags']]), cases);
  });

  test('fields the proxy does not know are null, as in Envoy JSON logs', () => {
    const { logger, lines } = capture();
    createAccessLogger(logger)({ ...base, userAgent: undefined, upstreamServiceTimeMs: undefined, xForwardedFor: undefined, route: undefined, upstreamHost: undefined, upstreamCluster: undefined });
    const [line] = lines();
    for (const f of ['user_agent', 'upstream_service_time', 'x_forwarded_for', 'route_name', 'upstream_host', 'upstream_cluster']) assert.equal(line?.[f], null, f);
  });

  test('sampling logs the given share of requests', () => {
    const { logger, lines } = capture();
    let i = 0;
    const log = createAccessLogger(logger, { sampleRate: 0.25, random: () => (i++ % 4) / 4 });
    for (let k = 0; k < 100; k++) log(base);
    assert.equal(lines().length, 25);
    assert.throws(() => createAccessLogger(logger, { sampleRate: 2 }), /between 0 and 1/);
  });
});

describe('parseAccessLogMode', () => {
  test('stdout/1/on turn it on; off/0/unset leave it off; anything else is an error', () => {
    for (const v of ['stdout', '1', 'on', 'TRUE']) assert.equal(parseAccessLogMode(v), 'stdout');
    for (const v of [undefined, '', 'off', '0', 'false']) assert.equal(parseAccessLogMode(v), 'off');
    assert.throws(() => parseAccessLogMode('file'), /--access-log must be "stdout" or "off"/);
  });
});
