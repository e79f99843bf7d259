import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpsHello, loadOrMakeCredential } from './https-hello.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-https-hello-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fetchVia(port: number, servername: string, ca: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, servername, ca, headers: { host: servername } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe("https-hello: the TLS passthrough lab's backend with a certificate of its own", () => {
  test('makes an example.com root and a nginx.example.com leaf, writes them (key 0600), and a client trusting that root alone gets the page', async () => {
    const credential = await loadOrMakeCredential(join(dir, 'certs'), ['nginx.example.com']);
    assert.equal(readFileSync(join(dir, 'certs', 'example.com.crt'), 'utf8'), credential.rootPem);
    assert.equal(statSync(join(dir, 'certs', 'tls.key')).mode & 0o777, 0o600);
    const server = createHttpsHello(credential);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const page = await fetchVia(port, 'nginx.example.com', credential.rootPem as string);
      assert.equal(page.status, 200);
      assert.match(page.body, /<title>Welcome to nginx!<\/title>/);
      assert.equal((await fetchVia(port, 'nginx.example.com', credential.rootPem as string, '/other')).status, 404);
      await assert.rejects(fetchVia(port, 'shop.example.com', credential.rootPem as string), /altnames|Hostname\/IP does not match/i, 'the certificate names nginx.example.com only');
    } finally {
      server.close();
    }
  });

  test('a second start serves the same certificate from the directory', async () => {
    const first = readFileSync(join(dir, 'certs', 'tls.crt'), 'utf8');
    const again = await loadOrMakeCredential(join(dir, 'certs'), ['nginx.example.com']);
    assert.equal(again.certPem, first);
  });
});
