// A server-first protocol (the server greets first, as MySQL's and SMTP's do) behind a sidecar:
// a client that sends nothing is carried as TCP once the detection timeout passes, on a port
// named tcp and on an unnamed (sniffed) one, instead of waiting forever for bytes that never come.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { startProxy, type RunningProxy } from '../proxy.js';
import { clientProxyOptions, ScriptedDiscoveryServer, until } from '../test-support.js';

const DETECTION_MS = 200;

describe('server-first protocols behind a sidecar', () => {
  const discovery = new ScriptedDiscoveryServer();
  let app: Server;
  const sidecars: Record<string, RunningProxy> = {};

  before(async () => {
    app = createServer((s) => {
      s.write('220 hello, I speak first\r\n');
      s.on('data', (d: Buffer) => s.write(`250 ${d.toString()}`));
      s.on('error', () => undefined);
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    const xdsPort = await discovery.listen();
    for (const [name, portName] of [['named', 'tcp-smtp'], ['unnamed', undefined]] as const) {
      sidecars[name] = await startProxy(
        clientProxyOptions(xdsPort, {
          node: { id: `${name}.default`, kind: 'sidecar', service: name, namespace: 'default', serviceAccount: name, labels: {}, address: '127.0.0.1', inboundPort: 0, servicePort: 25, ...(portName ? { servicePortName: portName } : {}) },
          inboundPort: 0,
          outboundPort: undefined,
          appPort: (app.address() as { port: number }).port,
          protocolDetectionTimeoutMs: DETECTION_MS,
        }),
      );
    }
    discovery.push({ version: 'sf1', routeConfigs: [], clusters: [] });
    await until(() => Object.values(sidecars).every((p) => p.holder.current?.version === 'sf1'), 'the snapshot');
  });

  after(async () => {
    await Promise.all(Object.values(sidecars).map((p) => p.close()));
    discovery.close();
    app.close();
  });

  for (const name of ['named', 'unnamed']) {
    test(`${name} port: the greeting arrives after the detection timeout, and the conversation goes on`, async () => {
      const t0 = performance.now();
      const socket = connect(sidecars[name]?.ports['inbound'] as number, '127.0.0.1');
      const [greeting] = (await once(socket, 'data')) as [Buffer];
      assert.equal(greeting.toString(), '220 hello, I speak first\r\n');
      assert.ok(performance.now() - t0 >= DETECTION_MS - 20, 'not before the detection timeout');
      socket.write('EHLO me\r\n');
      const [reply] = (await once(socket, 'data')) as [Buffer];
      assert.equal(reply.toString(), '250 EHLO me\r\n');
      socket.destroy();
    });
  }
});
