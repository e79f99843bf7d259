import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePeerPreamble, MAX_PREAMBLE_METADATA, readPeerPreamble } from './peer-metadata.js';

const self = { workload: 'istio-ingressgateway', namespace: 'istio-system', app: 'istio-ingressgateway', version: undefined };

test('a TCP peer preamble round-trips, leaving the connection\'s own bytes after it', () => {
  const bytes = Buffer.concat([encodePeerPreamble(self), Buffer.from('hello\n')]);
  const read = readPeerPreamble(bytes);
  assert.equal(read.kind, 'metadata');
  if (read.kind !== 'metadata') return;
  assert.deepEqual(read.metadata, { workload: 'istio-ingressgateway', namespace: 'istio-system', app: 'istio-ingressgateway', version: undefined });
  assert.equal(read.rest.toString(), 'hello\n');
});

test('byte by byte it asks for more until the whole preamble is there', () => {
  const preamble = encodePeerPreamble(self);
  for (let n = 0; n < preamble.length; n++) assert.equal(readPeerPreamble(preamble.subarray(0, n)).kind, 'more', `after ${n} bytes`);
  assert.equal(readPeerPreamble(preamble).kind, 'metadata');
});

test('bytes that are not a preamble are the connection\'s own, told apart from the first byte that differs', () => {
  for (const text of ['GET / HTTP/1.1\r\n', '\x16\x03\x01', 'SKP!', 'hello', 'X']) assert.equal(readPeerPreamble(Buffer.from(text, 'latin1')).kind, 'none', text);
  assert.equal(readPeerPreamble(Buffer.from('SK')).kind, 'more', 'a prefix of the magic: not yet known');
});

test('a preamble that claims more than 1 KiB of metadata is refused, not waited for', () => {
  const bad = encodePeerPreamble(self);
  bad.writeUInt16BE(MAX_PREAMBLE_METADATA + 1, 4);
  assert.deepEqual(readPeerPreamble(bad.subarray(0, 6)), { kind: 'invalid', why: `a peer metadata preamble of ${MAX_PREAMBLE_METADATA + 1} bytes (at most ${MAX_PREAMBLE_METADATA})` });
});
