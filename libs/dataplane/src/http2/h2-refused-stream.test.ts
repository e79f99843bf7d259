// An HTTP/2 upstream that refuses a stream (RST_STREAM REFUSED_STREAM: it processed nothing, as
// a server going away or at its stream limit does). retryOn refused-stream (in Istio's default
// policy) sends the request again; without retries the client gets Envoy's 503.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { h2cRequest, startSidecarAndGateway, until, type SidecarAndGateway } from '../test-support.js';

describe('HTTP/2 REFUSED_STREAM from the upstream', () => {
  let mesh: SidecarAndGateway;
  let app: http2.Http2Server;
  let streams = 0;
  /** Every odd stream is refused. */
  const refuseOdd = true;

  before(async () => {
    app = http2.createServer();
    app.on('stream', (stream) => {
      stream.on('error', () => undefined); // closing with REFUSED_STREAM reports it here too
      streams++;
      if (refuseOdd && streams % 2 === 1) return void stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      stream.respond({ ':status': 200 });
      stream.end(`served as stream ${streams}`);
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    mesh = await startSidecarAndGateway({ version: 'rs0', appPort: (app.address() as { port: number }).port });
  });

  after(async () => {
    await mesh?.close();
    app?.close();
  });

  async function push(version: string, retryOn: string[]): Promise<void> {
    const routes = (name: string) => ({ name, virtualHosts: [{ name: 'svc', domains: ['svc', 'svc:80'], routes: [{ name: 'to-app', action: { kind: 'route' as const, clusters: [{ cluster: 'app', weight: 100 }], retries: { attempts: retryOn.length > 0 ? 2 : 0, retryOn, retriableStatusCodes: [] } } }] }] });
    mesh.discovery.push({
      version,
      routeConfigs: [routes('80'), routes('http.80')],
      clusters: [{ name: 'app', service: 'svc', port: 80, endpoints: [{ address: '127.0.0.1', port: (app.address() as { port: number }).port, workload: 'app', labels: {} }], protocol: 'HTTP/2' }],
      gatewayServers: [{ port: 80, protocol: 'HTTP', hosts: ['*'], routeConfig: 'http.80' }],
    });
    await until(() => mesh.sidecar.holder.current?.version === version, `push ${version}`);
  }

  const outbound = () => h2cRequest(mesh.listeners().find((l) => l.name === 'outbound')?.port as number, '/');

  test('retryOn refused-stream sends the refused request again', async () => {
    await push('rs1', ['refused-stream']);
    for (let i = 0; i < 4; i++) {
      const before = streams;
      const { status, body } = await outbound();
      assert.equal(status, 200, body);
      assert.equal(streams - before, 2, 'the refused stream and its retry');
    }
  });

  test('without retries a refused stream is a 503, with the reset reason Envoy gives', async () => {
    await push('rs2', []);
    const answers = [await outbound(), await outbound()];
    const refused = answers.find((a) => a.status !== 200);
    assert.equal(refused?.status, 503);
    assert.match(refused?.body ?? '', /reset reason: remote refused stream reset/);
  });
});
