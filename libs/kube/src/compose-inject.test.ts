import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { injectCompose, looksLikeCompose } from './compose-inject.js';

const options = { proxyImage: 'p:1', controlPlaneImage: 'cp:1', gatewayImage: 'gw:1', configDir: './istio' };
const USER = `# my app
services:
  shop:
    image: shop:1
    labels: {app: shop, version: v2}
    expose: ["7000"]
    environment: {PORT: "7000", HTTP_PROXY: "http://corp-proxy:3128"}
  stock:
    image: stock:1
    labels: [app=stock, skiff.dev/service-account=inventory, skiff.dev/port-name=grpc]
    ports: ["127.0.0.1:7300:7300/tcp"]
    environment: [PORT=7300]
  db:
    image: postgres
    labels: {skiff.dev/inject: "false"}
  host-net:
    image: x
    network_mode: host
    expose: ["1"]
  portless:
    image: y
`;

describe('skiff inject -f on a compose file', () => {
  test('each service gets a sidecar in its network namespace and its proxy settings; the control plane, gateway and volumes are added', () => {
    const { yaml, report } = injectCompose('docker-compose.yaml', USER, options);
    assert.match(yaml, /^# my app\n/, 'comments are kept');
    const out = parse(yaml) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
    const shopProxy = out.services['shop-proxy'] as { image: string; network_mode: string; environment: Record<string, string>; depends_on: Record<string, unknown> };
    assert.equal(shopProxy.image, 'p:1');
    assert.equal(shopProxy.network_mode, 'service:shop');
    assert.deepEqual(
      [shopProxy.environment['SKIFF_SERVICE'], shopProxy.environment['SKIFF_ID'], shopProxy.environment['SKIFF_LABELS'], shopProxy.environment['SKIFF_APP_PORT'], shopProxy.environment['SKIFF_ADDRESS'], shopProxy.environment['SKIFF_TOKEN_FILE']],
      ['shop', 'shop.default', 'version=v2', '7000', 'shop', '/var/run/skiff/tokens/shop.token'],
    );
    const shopEnv = out.services['shop']?.['environment'] as Record<string, string>;
    assert.equal(shopEnv['HTTP_PROXY'], 'http://corp-proxy:3128', "the user's own setting is kept");
    assert.equal(shopEnv['grpc_proxy'], 'http://127.0.0.1:15001');
    const stockProxy = out.services['stock-proxy'] as { environment: Record<string, string> };
    assert.deepEqual([stockProxy.environment['SKIFF_APP_PORT'], stockProxy.environment['SKIFF_SERVICE_ACCOUNT'], stockProxy.environment['SKIFF_SERVICE_PORT_NAME']], ['7300', 'inventory', 'grpc']);
    assert.ok((out.services['stock']?.['environment'] as string[]).includes('HTTP_PROXY=http://127.0.0.1:15001'), 'list-form environment gets list entries');
    const cp = out.services['skiff-control-plane'] as { image: string; command: string[]; volumes: string[] };
    assert.equal(cp.image, 'cp:1');
    assert.ok(cp.command.includes('--accounts=istio-ingressgateway/istio-system/istio-ingressgateway-service-account/istio-ingressgateway,shop/default/shop/shop,stock/default/inventory/stock'));
    assert.ok(cp.volumes.includes('./istio:/etc/skiff/config:ro'));
    assert.equal((out.services['skiff-gateway'] as { image: string }).image, 'gw:1');
    assert.deepEqual(Object.keys(out.volumes), ['skiff-ca', 'skiff-tokens']);
    assert.deepEqual(report, [
      'shop: injected as workload shop.default (service shop, version v2, port 7000)',
      'stock: injected as workload stock.default (service stock, version v1, port 7300)',
      'db: left alone (label skiff.dev/inject: "false")',
      'host-net: left alone (network_mode: host; its sidecar would have no network namespace of its own to share)',
      'portless: not injected: it says no port; add "expose: [<port>]" or the label skiff.dev/port',
    ]);
    assert.equal(out.services['db-proxy'], undefined);
  });

  test('a file injected before, or one that is not compose, is refused with what to do', () => {
    const once = injectCompose('c.yaml', USER, options).yaml;
    assert.throws(() => injectCompose('c.yaml', once, options), /c\.yaml: already has a service named skiff-control-plane; was it injected before\? inject the original file/);
    assert.throws(() => injectCompose('c.yaml', 'kind: Deployment\n', options), /no "services:" mapping; is this a compose file\?/);
    assert.equal(looksLikeCompose(USER), true);
    assert.equal(looksLikeCompose('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n'), false);
  });
});
