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
