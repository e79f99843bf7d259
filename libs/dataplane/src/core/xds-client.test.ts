// The proxy's discovery client against a scripted discovery server: a real gRPC server on
// loopback whose answers the test chooses, to produce what the real control plane never sends
// (an invalid snapshot) and to observe exactly what the proxy sends back.
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { discoveryServiceDefinition, grpc, type DiscoveryRequest, type ServerDiscoveryStream } from '@skiff/protocol';
import { createLogger } from '@skiff/telemetry';
import { SnapshotHolder } from './snapshot-holder.js';
import { XdsClient } from './xds-client.js';

const node = { id: 'client.default', kind: 'sidecar' as const, service: 'client', namespace: 'default', serviceAccount: 'client', labels: { version: 'v1' }, address: '127.0.0.1', inboundPort: 1, servicePort: 9080 };
const validSnapshot = (version: string) => JSON.stringify({ version, routeConfigs: [], clusters: [] });

/** A real gRPC discovery server whose answer to each request the test scripts. */
class RequestScriptedServer {
  readonly server = new grpc.Server();
  readonly requests: DiscoveryRequest[] = [];
  onRequest: (stream: ServerDiscoveryStream, req: DiscoveryRequest) => void = () => undefined;

  constructor() {
    this.server.addService(discoveryServiceDefinition(), {
      Stream: (stream: ServerDiscoveryStream) => {
        stream.on('data', (req: DiscoveryRequest) => {
          this.requests.push(req);
          this.onRequest(stream, req);
        });
        stream.on('error', () => undefined);
      },
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
  }
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('ACKs a valid snapshot and NACKs an invalid one, keeping the last good config', async () => {
  const scripted = new RequestScriptedServer();
  const port = await scripted.listen();
  scripted.onRequest = (stream, req) => {
    if (req.responseNonce === '') stream.write({ versionInfo: 'v-good', nonce: '1', snapshotJson: validSnapshot('v-good') });
    else if (req.responseNonce === '1') stream.write({ versionInfo: 'v-bad', nonce: '2', snapshotJson: JSON.stringify({ version: 'v-bad', routeConfigs: 'nope' }) });
  };
  const holder = new SnapshotHolder();
  const client = new XdsClient({ controlPlane: `127.0.0.1:${port}`, transport: { plaintext: true }, node, holder, logger: createLogger('test', {}, { level: 'silent' }) });
  client.start();
  try {
    await until(() => scripted.requests.length >= 3, 'ACK and NACK');
    const [hello, ack, nack] = scripted.requests;
    assert.equal(hello?.node?.id, 'client.default');
    assert.equal(hello?.node?.labels['version'], 'v1');
    assert.equal(hello?.versionInfo, '');
    assert.deepEqual([ack?.versionInfo, ack?.responseNonce, ack?.errorDetail ?? null], ['v-good', '1', null]);
    assert.equal(nack?.versionInfo, 'v-good', 'a NACK reports the version still in force');
    assert.equal(nack?.responseNonce, '2');
    assert.match(nack?.errorDetail?.message ?? '', /routeConfigs/);
    assert.equal(holder.current?.version, 'v-good');
    assert.equal(client.status.nacks, 1);
  } finally {
    client.stop();
    scripted.server.forceShutdown();
  }
});

test('reconnects after the server goes away and reports the version it holds', async () => {
  const first = new RequestScriptedServer();
  const port = await first.listen();
  first.onRequest = (stream, req) => {
    if (req.responseNonce === '') stream.write({ versionInfo: 'v1', nonce: 'a', snapshotJson: validSnapshot('v1') });
  };
  const holder = new SnapshotHolder();
  const client = new XdsClient({ controlPlane: `127.0.0.1:${port}`, transport: { plaintext: true }, node, holder, logger: createLogger('test', {}, { level: 'silent' }), maxBackoffMs: 200 });
  client.start();
  const second = new RequestScriptedServer();
  try {
    await until(() => first.requests.length >= 2, 'first ACK');
    first.server.forceShutdown();
    await until(() => !client.status.connected, 'disconnect');
    assert.equal(holder.current?.version, 'v1', 'config survives the outage');
    // Same port, new server: the proxy comes back on its own.
    await new Promise<void>((resolve, reject) => second.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
    await until(() => second.requests.length >= 1, 'reconnect', 10_000);
    assert.equal(second.requests[0]?.versionInfo, 'v1');
    assert.equal(second.requests[0]?.node?.id, 'client.default');
    assert.ok(client.status.reconnects >= 1);
  } finally {
    client.stop();
    second.server.forceShutdown();
  }
});

test('reads a gzip-compressed snapshot (what the control plane sends), and NACKs one that is not gzip', async () => {
  const scripted = new RequestScriptedServer();
  const port = await scripted.listen();
  scripted.onRequest = (stream, req) => {
    if (req.responseNonce === '') stream.write({ versionInfo: 'v-gz', nonce: '1', snapshotGzip: gzipSync(validSnapshot('v-gz')) });
    else if (req.responseNonce === '1') stream.write({ versionInfo: 'v-broken', nonce: '2', snapshotGzip: Buffer.from('not gzip at all') });
  };
  const holder = new SnapshotHolder();
  const client = new XdsClient({ controlPlane: `127.0.0.1:${port}`, transport: { plaintext: true }, node, holder, logger: createLogger('test', {}, { level: 'silent' }) });
  client.start();
  try {
    await until(() => scripted.requests.length >= 3, 'ACK and NACK');
    const [, ack, nack] = scripted.requests;
    assert.deepEqual([ack?.versionInfo, ack?.responseNonce, ack?.errorDetail ?? null], ['v-gz', '1', null]);
    assert.equal(nack?.versionInfo, 'v-gz');
    assert.match(nack?.errorDetail?.message ?? '', /header|gzip|incorrect/i);
    assert.equal(holder.current?.version, 'v-gz');
  } finally {
    client.stop();
    scripted.server.forceShutdown();
  }
});
