// `Expect: 100-continue` through every listener (outbound, inbound, gateway), as curl sends it
// for uploads over 1 KiB: the proxy answers 100 itself and forwards the upload without the
// expectation, as Envoy does by default. Before, undici refused the forwarded header and the
// proxy answered 503 as if the upstream had failed, so three uploads ejected the only endpoint
// of a cluster with outlier detection (consecutive5xxErrors: 3).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startSidecarAndGateway, startUpstream, type SidecarAndGateway } from './test-support.js';

interface Exchange {
  /** What came before the body was sent: the interim response, or a final one. */
  interim: string;
  status: number;
  text: string;
}

/**
 * Sends a request head with `Expect: 100-continue`, waits for the proxy's answer to it (as curl
 * does, though curl gives up waiting after 1 s), then the body; returns what came back.
 */
function uploadExpectingContinue(port: number, target: string, host: string, body: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let interim = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no complete answer within 5 s; got ${JSON.stringify(received)}`)), 5_000);
    socket.on('connect', () =>
      socket.write(`POST ${target} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (!interim && received.includes('\r\n\r\n')) {
        interim = received.slice(0, received.indexOf('\r\n'));
        if (interim.startsWith('HTTP/1.1 100')) {
          received = received.slice(received.indexOf('\r\n\r\n') + 4);
          socket.write(body);
        }
      }
    });
    socket.on('end', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      resolve({ interim, status, text: received.slice(received.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('Expect: 100-continue on every listener', () => {
  let mesh: SidecarAndGateway;
  let app: Awaited<ReturnType<typeof startUpstream>>;
  const body = 'x'.repeat(4096);

  before(async () => {
    app = await startUpstream('app');
    mesh = await startSidecarAndGateway({
      version: 'e1',
      appPort: app.port,
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3, interval: '0.1s', baseEjectionTime: '30s', maxEjectionPercent: 100 } },
    });
  });

  after(async () => {
    await mesh?.close();
    app?.server.close();
  });

  const listeners = () => mesh.listeners().map((l) => ({ name: l.name, port: l.port, target: l.target('/upload') }));

  test('each listener answers 100 Continue, then forwards the upload whole and without the expectation', async () => {
    for (const listener of listeners()) {
      const before = app.received.length;
      const exchange = await uploadExpectingContinue(listener.port, listener.target, 'svc', body);
      assert.equal(exchange.interim, 'HTTP/1.1 100 Continue', `${listener.name}: the interim answer`);
      assert.equal(exchange.status, 200, `${listener.name}: ${exchange.text}`);
      assert.equal(app.received.length, before + 1, `${listener.name}: the app got the upload`);
      const got = app.received.at(-1);
      assert.equal(got?.body, body, `${listener.name}: the body arrived whole`);
      assert.equal(got?.headers['expect'], undefined, `${listener.name}: the expectation was met by the proxy, not passed on`);
    }
  });

  test('uploads with the expectation eject nothing: the next plain request still reaches the endpoint', async () => {
    for (const listener of listeners().filter((l) => l.name !== 'inbound')) {
      for (let i = 0; i < 4; i++) {
        const exchange = await uploadExpectingContinue(listener.port, listener.target, 'svc', body);
        assert.equal(exchange.status, 200, `${listener.name}, upload ${i + 1}: ${exchange.text}`);
      }
      const before = app.received.length;
      const plain = await uploadExpectingContinue(listener.port, listener.target, 'svc', '');
      assert.equal(plain.status, 200, `${listener.name}: after four uploads, ${plain.text}`);
      assert.equal(app.received.length, before + 1, `${listener.name}: the endpoint was not ejected`);
    }
  });
});
