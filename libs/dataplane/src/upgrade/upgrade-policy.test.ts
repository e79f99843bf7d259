import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upgradeDecision } from './upgrade-policy.js';

const head = (upgrade: string | undefined, contentLength = -1, chunked = false) => ({ upgrade, contentLength, chunked });

test('no Upgrade (or Upgrade not named in Connection, which the codec leaves unset): an ordinary request', () => {
  assert.deepEqual(upgradeDecision(head(undefined)), { kind: 'none' });
});

test('websocket, in any case, is tunnelled with the value as sent', () => {
  assert.deepEqual(upgradeDecision(head('websocket')), { kind: 'tunnel', protocol: 'websocket' });
  assert.deepEqual(upgradeDecision(head(' WebSocket ')), { kind: 'tunnel', protocol: 'WebSocket' });
});

test('h2c is ignored, as Envoy drops it: the request is served as HTTP/1.1', () => {
  assert.deepEqual(upgradeDecision(head('h2c')), { kind: 'ignore' });
  assert.deepEqual(upgradeDecision(head('H2C', 12)), { kind: 'ignore' });
});

test('any other upgrade, or a list (Envoy compares the whole value), is refused with 403', () => {
  for (const value of ['TLS/1.0', 'spdy/3.1', 'websocket, foo', 'foo']) {
    const decision = upgradeDecision(head(value));
    assert.equal(decision.kind, 'refuse', value);
    assert.equal(decision.kind === 'refuse' && decision.status, 403, value);
  }
});

test('a websocket handshake with a body is refused with 400: its bytes could not be told from the tunnel', () => {
  assert.deepEqual(upgradeDecision(head('websocket', 5)), { kind: 'refuse', status: 400, reason: 'an upgrade request with a body' });
  assert.equal(upgradeDecision(head('websocket', -1, true)).kind, 'refuse');
  assert.equal(upgradeDecision(head('websocket', 0)).kind, 'tunnel');
});

test('a listener may allow other upgrade types', () => {
  assert.deepEqual(upgradeDecision(head('spdy/3.1'), ['websocket', 'spdy/3.1']), { kind: 'tunnel', protocol: 'spdy/3.1' });
});
