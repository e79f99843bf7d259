import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { classifyFirstBytes, detectProtocol, type DetectedProtocol } from './protocol-detection.js';

describe('protocol detection on an undeclared port', () => {
  test('HTTP/1.x methods, the HTTP/2 preface, and everything else', () => {
    const c = (s: string) => classifyFirstBytes(Buffer.from(s, 'latin1'));
    for (const http of ['GET / HTTP/1.1\r\n', 'POST /x', 'M-SEARCH * HTTP/1.1', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']) assert.equal(c(http), 'http', http);
    for (const tcp of ['\x16\x03\x01', 'get / HTTP/1.1', ' GET', '\x00\x00\x00\x0a', 'HELLO\r\n', 'A'.repeat(30)]) assert.equal(c(tcp), 'tcp', JSON.stringify(tcp));
    for (const partial of ['', 'GE', 'PRI * HTTP/2', 'DELETE']) assert.equal(c(partial), undefined, partial);
  });

  test('a client that sends nothing is carried as TCP after the timeout; bytes read are put back', async () => {
    const results: Array<{ protocol: DetectedProtocol; first: string; afterMs: number }> = [];
    const server = createServer((socket) => {
      const started = Date.now();
      detectProtocol(socket, 200, (protocol) => {
        socket.once('data', (d: Buffer) => results.push({ protocol, first: d.toString(), afterMs: Date.now() - started }));
        socket.resume();
        if (protocol === 'tcp') socket.write('server speaks first');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const http = connect(port, '127.0.0.1');
    http.write('GE');
    setTimeout(() => http.write('T / HTTP/1.1\r\n\r\n'), 20);
    const quiet = connect(port, '127.0.0.1');
    const [greeting] = (await once(quiet, 'data')) as [Buffer];
    assert.equal(greeting.toString(), 'server speaks first');
    quiet.write('ok');
    while (results.length < 2) await new Promise((r) => setTimeout(r, 10));
    const byProtocol = Object.fromEntries(results.map((r) => [r.protocol, r]));
    assert.equal(byProtocol['http']?.first.startsWith('GE'), true, 'the bytes read while detecting come first');
    assert.ok((byProtocol['tcp']?.afterMs ?? 0) >= 190, 'TCP only after the timeout');
    http.destroy();
    quiet.destroy();
    server.close();
  });
});
