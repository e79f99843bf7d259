import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProxyFlags } from './flags.js';

const base = ['--service', 'ratings', '--app-port', '9081', '--plaintext-discovery'];

test("the port's name and appProtocol are announced with the workload; unnamed, neither is", () => {
  const named = parseProxyFlags([...base, '--service-port-name', 'grpc-ratings', '--app-protocol', 'grpc']);
  assert.ok(named !== 'help');
  assert.equal(named.node.servicePortName, 'grpc-ratings');
  assert.equal(named.node.appProtocol, 'grpc');
  const unnamed = parseProxyFlags(base);
  assert.ok(unnamed !== 'help');
  assert.equal('servicePortName' in unnamed.node, false);
  assert.equal('appProtocol' in unnamed.node, false);
});

test('SKIFF_SERVICE_PORT_NAME sets the name, as compose files and manifests do', () => {
  process.env['SKIFF_SERVICE_PORT_NAME'] = 'http2';
  try {
    const flags = parseProxyFlags(base);
    assert.ok(flags !== 'help');
    assert.equal(flags.node.servicePortName, 'http2');
  } finally {
    delete process.env['SKIFF_SERVICE_PORT_NAME'];
  }
});

test('--protocol-detection-timeout takes a duration (0s: wait forever); a bad one says what to write', () => {
  const set = parseProxyFlags([...base, '--protocol-detection-timeout', '250ms']);
  assert.ok(set !== 'help');
  assert.equal(set.protocolDetectionTimeoutMs, 250);
  const forever = parseProxyFlags([...base, '--protocol-detection-timeout', '0s']);
  assert.ok(forever !== 'help' && forever.protocolDetectionTimeoutMs === 0);
  const unset = parseProxyFlags(base);
  assert.ok(unset !== 'help' && unset.protocolDetectionTimeoutMs === undefined);
  assert.throws(() => parseProxyFlags([...base, '--protocol-detection-timeout', 'soon']), /--protocol-detection-timeout: .*write a duration such as 5s, or 0s to wait forever/);
});

test("--app-host: the app's address when it is not on loopback (a WorkloadEntry's); a bad one is refused", () => {
  const flags = parseProxyFlags([...base, '--app-host', '10.0.0.5']);
  assert.ok(flags !== 'help');
  assert.equal(flags.appHost, '10.0.0.5');
  const local = parseProxyFlags(base);
  assert.ok(local !== 'help');
  assert.equal(local.appHost, '127.0.0.1');
  assert.throws(() => parseProxyFlags([...base, '--app-host', 'bad host']), /--app-host must be an IP address or a host name, got "bad host"/);
});
