import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants } from 'node:http2';
import { outgoingFields, requestHeadOf, responseHeadOf, withoutPseudo } from './h2-head.js';

const END = constants.NGHTTP2_FLAG_END_STREAM;
const HEADERS_ONLY = constants.NGHTTP2_FLAG_END_HEADERS;

test('a request head: pseudo-headers become method, target and host; Host is added from :authority', () => {
  const head = requestHeadOf([':method', 'POST', ':path', '/pkg.Svc/Call', ':scheme', 'http', ':authority', 'ratings:9080', 'content-type', 'application/grpc', 'te', 'trailers'], HEADERS_ONLY);
  assert.ok(typeof head !== 'string');
  assert.equal(head.method, 'POST');
  assert.equal(head.target, '/pkg.Svc/Call');
  assert.equal(head.host, 'ratings:9080');
  assert.deepEqual(head.headers, ['host', 'ratings:9080', 'content-type', 'application/grpc', 'te', 'trailers']);
  assert.equal(head.chunked, true, 'a body of unknown length follows');
});

test('a request that ends with its headers has no body; a Content-Length is kept', () => {
  const ended = requestHeadOf([':method', 'GET', ':path', '/', ':authority', 'a'], END | HEADERS_ONLY);
  assert.ok(typeof ended !== 'string');
  assert.equal(ended.chunked, false);
  assert.equal(ended.contentLength, -1);
  const sized = requestHeadOf([':method', 'PUT', ':path', '/', ':authority', 'a', 'content-length', '12'], HEADERS_ONLY);
  assert.ok(typeof sized !== 'string');
  assert.equal(sized.contentLength, 12);
  assert.equal(sized.chunked, false);
});

test('a Host header wins over nothing, CONNECT and a missing :path are refused', () => {
  const viaHost = requestHeadOf([':method', 'GET', ':path', '/', 'host', 'b:1'], END);
  assert.ok(typeof viaHost !== 'string');
  assert.equal(viaHost.host, 'b:1');
  assert.match(String(requestHeadOf([':method', 'CONNECT', ':authority', 'x:443'], 0)), /CONNECT/);
  assert.match(String(requestHeadOf([':method', 'GET', ':authority', 'x'], 0)), /:path/);
  assert.match(String(requestHeadOf([':method', 'GET', ':path', '/'], 0)), /:authority/);
});

test('a response head: status, fields, and whether it ended (trailers-only)', () => {
  const head = responseHeadOf([':status', '200', 'content-type', 'application/grpc', 'grpc-status', '5'], true);
  assert.equal(head.status, 200);
  assert.equal(head.endStream, true);
  assert.deepEqual(head.headers, ['content-type', 'application/grpc', 'grpc-status', '5']);
  const streaming = responseHeadOf([':status', '200'], false);
  assert.equal(streaming.chunked, true);
  assert.equal(responseHeadOf([':status', '200', 'content-length', '3'], false).contentLength, 3);
});

test('what is sent leaves out the fields HTTP/2 forbids, keeps TE: trailers and repeats, and lowercases names', () => {
  const out = outgoingFields(['host', 'a', 'Connection', 'keep-alive', 'keep-alive', '5', 'transfer-encoding', 'chunked', 'upgrade', 'x', 'te', 'trailers', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'], [':status', '200']);
  assert.deepEqual(out, [':status', '200', 'te', 'trailers', 'set-cookie', 'a=1', 'set-cookie', 'b=2']);
  assert.deepEqual(outgoingFields(['te', 'gzip']), []);
});

test('pseudo-headers are left out of trailers', () => {
  const fields = ['grpc-status', '0'];
  assert.equal(withoutPseudo(fields), fields);
  assert.deepEqual(withoutPseudo([':status', '200', 'grpc-status', '0']), ['grpc-status', '0']);
});
