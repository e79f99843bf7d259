// How an upstream is spoken to, as Istio decides it from the port's protocol: a cluster marked
// HTTP/1.1 (an http port) takes an HTTP/2 client's request as HTTP/1.1; an unmarked one (a
// sniffed port) gets what the client spoke, which an HTTP/1.1-only app cannot read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { h2cRequest, startSidecarAndGateway, startUpstream, until, type SidecarAndGateway } from '../test-support.js';

describe('upstream protocol by port protocol', () => {
  let mesh: SidecarAndGateway;
  let app: Awaited<ReturnType<typeof startUpstream>>;

  before(async () => {
    app = await startUpstream('h1-only');
    mesh = await startSidecarAndGateway({ version: 'p0', appPort: app.port });
  });

  after(async () => {
    await mesh?.close();
    app?.server.close();
  });

  async function push(version: string, protocol: 'HTTP/1.1' | 'HTTP/2' | undefined): Promise<void> {
    const routes = (name: string) => ({ name, virtualHosts: [{ name: 'svc', domains: ['svc', 'svc:80'], routes: [{ name: 'to-app', action: { kind: 'route' as const, clusters: [{ cluster: 'app', weight: 100 }], retries: { attempts: 0, retryOn: [], retriableStatusCodes: [] } } }] }] });
    mesh.discovery.push({
      version,
      routeConfigs: [routes('80'), routes('http.80')],
      clusters: [{ name: 'app', service: 'svc', port: 80, endpoints: [{ address: '127.0.0.1', port: app.port, workload: 'app', labels: {} }], ...(protocol ? { protocol } : {}) }],
      gatewayServers: [{ port: 80, protocol: 'HTTP', hosts: ['*'], routeConfig: 'http.80' }],
    });
    await until(() => mesh.sidecar.holder.current?.version === version, `push ${version}`);
  }

  test('an HTTP/1.1 port: an HTTP/2 client is served by an HTTP/1.1-only app', async () => {
    await push('p1', 'HTTP/1.1');
    const { status, body } = await h2cRequest(mesh.listeners().find((l) => l.name === 'outbound')?.port as number, '/from-h2');
    assert.equal(status, 200);
    assert.equal(body, 'h1-only GET /from-h2');
  });

  test('a sniffed port: the app is spoken to as the client spoke, and an HTTP/1.1-only app cannot answer HTTP/2', async () => {
    await push('p2', undefined);
    const { status } = await h2cRequest(mesh.listeners().find((l) => l.name === 'outbound')?.port as number, '/from-h2');
    assert.equal(status, 503);
  });
});
