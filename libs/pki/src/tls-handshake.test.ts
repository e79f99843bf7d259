// A real mutual-TLS handshake between node sockets, each side holding a certificate from the
// CA, as two sidecars would. Sockets are allowed here: tests are not the (pure) library.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { spiffeIdFromSubjectAltName } from './spiffe.js';
import { tlsMaterial, type TlsMaterial } from './tls-material.js';
import { HOUR, REVIEWS, RATINGS, issue, newCa } from './test-helpers.js';

// OpenSSL checks validity against the real clock, so these certificates are issued for now.
const now = new Date();

type Ca = Awaited<ReturnType<typeof newCa>>;

/** TLS material for a workload whose certificate comes from `issuer` and that trusts `trusted`. */
async function workloadMaterial(issuer: Ca, spiffeId: string, trusted: Ca = issuer): Promise<TlsMaterial> {
  const w = await issue(issuer, spiffeId, now, HOUR);
  return tlsMaterial({ privateKeyPem: w.keys.privateKeyPem, chainPem: w.chainPem, rootsPem: [trusted.rootCertPem] });
}

interface ClientResult {
  data: string;
  error?: Error;
  serverSan?: string;
}

/** Connects, reads until the server closes, and reports what happened (never rejects). */
async function connect(port: number, material: TlsMaterial, expectedServerId: string): Promise<ClientResult> {
  const result: ClientResult = { data: '' };
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    ...material,
    // Mesh peers are named by SPIFFE ID, not host name.
    checkServerIdentity: (_host, cert) =>
      spiffeIdFromSubjectAltName(cert.subjectaltname) === expectedServerId ? undefined : new Error(`server is ${cert.subjectaltname}, expected ${expectedServerId}`),
  });
  socket.setEncoding('utf8');
  socket.on('secureConnect', () => (result.serverSan = socket.getPeerCertificate().subjectaltname));
  socket.on('data', (chunk: string) => (result.data += chunk));
  socket.on('error', (err) => (result.error = err));
  // Not events.once: it would reject on 'error', and a failed handshake is a result here.
  await new Promise((resolve) => socket.on('close', resolve));
  return result;
}

describe('mutual TLS with CA-issued certificates', () => {
  let server: tls.Server;
  let port: number;
  let ca: Ca;
  let otherCa: Ca;
  const clientErrors: Error[] = [];
  let accepted = 0; // connections that reached the application

  before(async () => {
    [ca, otherCa] = await Promise.all([newCa(now), newCa(now)]);
    server = tls.createServer({ ...(await workloadMaterial(ca, REVIEWS)), requestCert: true, rejectUnauthorized: true }, (socket) => {
      accepted += 1;
      const peer = socket.getPeerCertificate();
      socket.end(JSON.stringify({ authorized: socket.authorized, san: peer.subjectaltname }));
    });
    server.on('tlsClientError', (err) => clientErrors.push(err));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.close();
    await once(server, 'close');
  });

  test('both sides see each other\'s SPIFFE ID', async () => {
    const acceptedBefore = accepted;
    const result = await connect(port, await workloadMaterial(ca, RATINGS), REVIEWS);
    assert.equal(result.error, undefined);
    assert.equal(accepted, acceptedBefore + 1);
    assert.ok(result.serverSan?.includes(`URI:${REVIEWS}`), `server SAN: ${result.serverSan}`);
    const seen = JSON.parse(result.data) as { authorized: boolean; san: string };
    assert.equal(seen.authorized, true);
    assert.ok(seen.san.includes(`URI:${RATINGS}`), `client SAN as seen by the server: ${seen.san}`);
    assert.equal(spiffeIdFromSubjectAltName(seen.san), RATINGS);
  });

  test('a client with a certificate from another CA is rejected', async () => {
    const [errorsBefore, acceptedBefore] = [clientErrors.length, accepted];
    // The client trusts our CA (so it accepts the server) but holds a certificate from another,
    // which differs from the first test's client only in who issued it.
    const result = await connect(port, await workloadMaterial(otherCa, RATINGS, ca), REVIEWS);
    assert.equal(result.data, '', 'the server must not talk to an unauthenticated client');
    assert.equal(accepted, acceptedBefore, 'the connection never reached the application');
    // Node checks the client certificate after OpenSSL's handshake and then destroys the socket,
    // so the server reports a reset ("socket hang up") rather than an alert, and in TLS 1.3 the
    // client may see only the close.
    assert.equal(clientErrors.length, errorsBefore + 1, 'the server reports one failed handshake');
  });

  test('a client without any certificate is rejected', async () => {
    const [errorsBefore, acceptedBefore] = [clientErrors.length, accepted];
    const { key: _key, cert: _cert, ...trustOnly } = await workloadMaterial(ca, RATINGS);
    const result = await connect(port, trustOnly as TlsMaterial, REVIEWS);
    assert.equal(result.data, '');
    assert.equal(accepted, acceptedBefore);
    assert.equal(clientErrors.length, errorsBefore + 1);
    assert.match(String(clientErrors.at(-1)?.message), /did not return a certificate/);
  });

  test('a client that trusts another CA rejects this server', async () => {
    const result = await connect(port, await workloadMaterial(otherCa, RATINGS), REVIEWS);
    assert.equal(result.data, '');
    assert.equal(result.serverSan, undefined, 'the handshake never completed');
    assert.match(String(result.error?.message), /certificate/i);
  });

  test('a client expecting another identity rejects this server', async () => {
    const result = await connect(port, await workloadMaterial(ca, RATINGS), 'spiffe://cluster.local/ns/default/sa/details');
    assert.equal(result.data, '');
    assert.match(String(result.error?.message), /expected spiffe:\/\/cluster.local\/ns\/default\/sa\/details/);
  });
});
