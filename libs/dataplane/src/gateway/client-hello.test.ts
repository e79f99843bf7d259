import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { readClientHello } from './client-hello.js';

/** The first bytes a real node TLS client sends (its ClientHello), for the given server name. */
async function realClientHello(servername: string | undefined, ALPNProtocols?: string[]): Promise<Buffer> {
  let resolveHello: (b: Buffer) => void = () => undefined;
  const hello = new Promise<Buffer>((r) => (resolveHello = r));
  const server = createServer((socket) => {
    socket.once('data', (data: Buffer) => {
      resolveHello(data);
      socket.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const client = connect({ host: '127.0.0.1', port, ...(servername !== undefined ? { servername } : {}), ...(ALPNProtocols ? { ALPNProtocols } : {}), rejectUnauthorized: false });
  client.on('error', () => undefined);
  const data = await hello;
  client.destroy();
  server.close();
  return data;
}

describe('ClientHello server name', () => {
  test('reads the SNI a real TLS client sends, lower-cased', async () => {
    const hello = await realClientHello('Shop.Example.COM');
    assert.deepEqual(readClientHello(hello), { state: 'hello', serverName: 'shop.example.com' });
  });

  test('a client without SNI (connecting to an IP) gives a hello without a name', async () => {
    const hello = await realClientHello(undefined);
    assert.deepEqual(readClientHello(hello), { state: 'hello' });
  });

  test('reads the ALPN protocols offered, in order (how a sidecar tells mesh mTLS from an app\'s own TLS)', async () => {
    const hello = await realClientHello('tcp-echo', ['istio-peer-exchange', 'istio']);
    assert.deepEqual(readClientHello(hello), { state: 'hello', serverName: 'tcp-echo', alpn: ['istio-peer-exchange', 'istio'] });
    assert.deepEqual(readClientHello(await realClientHello('x', ['h2', 'http/1.1'])), { state: 'hello', serverName: 'x', alpn: ['h2', 'http/1.1'] });
  });

  test('every proper prefix is incomplete, so the listener waits for more bytes', async () => {
    const hello = await realClientHello('a.example.com');
    for (let n = 0; n < hello.length; n++) assert.deepEqual(readClientHello(hello.subarray(0, n)), { state: 'incomplete' }, `prefix of ${n} bytes`);
  });

  test('a ClientHello split over two records is joined', async () => {
    const hello = await realClientHello('split.example.com');
    const payload = hello.subarray(5);
    const cut = 40; // inside the random, before the extensions
    const record = (body: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, body.length >> 8, body.length & 0xff]), body]);
    const split = Buffer.concat([record(payload.subarray(0, cut)), record(payload.subarray(cut))]);
    assert.deepEqual(readClientHello(split.subarray(0, split.length - 1)), { state: 'incomplete' });
    assert.deepEqual(readClientHello(split), { state: 'hello', serverName: 'split.example.com' });
  });

  test('plaintext HTTP and other bytes are not TLS', () => {
    assert.deepEqual(readClientHello(Buffer.from('GET / HTTP/1.1\r\nhost: a\r\n\r\n')), { state: 'not-tls' });
    assert.deepEqual(readClientHello(Buffer.from('G')), { state: 'not-tls' });
    // A handshake record that holds a ServerHello (type 2), not a ClientHello.
    assert.deepEqual(readClientHello(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])), { state: 'not-tls' });
  });
});
