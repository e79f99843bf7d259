import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTcpProtocol, portProtocol, portProtocolAdvice, upstreamHttpVersion } from './port-protocol.js';

test("a port's name, or its prefix before the first dash, names the protocol, in any case", () => {
  const cases: Array<[string | undefined, string]> = [
    ['http', 'HTTP'],
    ['HTTP', 'HTTP'],
    ['http-web', 'HTTP'],
    ['http2', 'HTTP2'],
    ['grpc', 'GRPC'],
    ['grpc-ratings', 'GRPC'],
    ['grpc-web', 'GRPC-WEB'],
    ['https', 'HTTPS'],
    ['tcp-echo', 'TCP'],
    ['tls', 'TLS'],
    ['mongo', 'MONGO'],
    ['redis-cache', 'REDIS'],
    ['web', 'UNKNOWN'],
    ['-http', 'UNKNOWN'],
    ['', 'UNKNOWN'],
    [undefined, 'UNKNOWN'],
  ];
  for (const [name, want] of cases) assert.equal(portProtocol(name), want, String(name));
});

test('appProtocol wins when it names a protocol, including Kubernetes h2c and WebSocket names', () => {
  assert.equal(portProtocol('http', 'grpc'), 'GRPC');
  assert.equal(portProtocol('web', 'kubernetes.io/h2c'), 'HTTP2');
  assert.equal(portProtocol(undefined, 'kubernetes.io/ws'), 'HTTP');
  assert.equal(portProtocol('grpc', 'something/else'), 'GRPC', 'an unknown appProtocol leaves the name in charge');
});

test('HTTP/2 upstreams for http2, gRPC and gRPC-Web ports, HTTP/1.1 for http, the client protocol for sniffed ports', () => {
  assert.equal(upstreamHttpVersion('HTTP2'), 'HTTP/2');
  assert.equal(upstreamHttpVersion('GRPC'), 'HTTP/2');
  assert.equal(upstreamHttpVersion('HTTP'), 'HTTP/1.1');
  assert.equal(upstreamHttpVersion('GRPC-WEB'), 'HTTP/2');
  assert.equal(upstreamHttpVersion('UNKNOWN'), undefined);
  assert.equal(upstreamHttpVersion('TCP'), undefined);
});

test("TCP-family ports are carried as byte streams (Istio's IsTCP)", () => {
  for (const p of ['TCP', 'TLS', 'HTTPS', 'MONGO', 'REDIS', 'MYSQL'] as const) assert.equal(isTcpProtocol(p), true, p);
  for (const p of ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY', 'UDP', 'UNKNOWN'] as const) assert.equal(isTcpProtocol(p), false, p);
});

test('a port named for a protocol no sidecar carries (UDP) is told so; the others are not', () => {
  assert.match(portProtocolAdvice('udp-dns') ?? '', /^port name "udp-dns" says UDP, which a sidecar does not carry/);
  assert.match(portProtocolAdvice('web', 'UDP') ?? '', /^appProtocol "UDP" says UDP/);
  for (const quiet of ['http', 'grpc-x', 'http2', 'web', 'tcp-echo', 'mongo', undefined]) assert.equal(portProtocolAdvice(quiet), undefined, String(quiet));
});
