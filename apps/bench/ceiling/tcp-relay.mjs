// Measuring stick for a two-proxy byte path's ceiling (not a design: no routing, policy, metrics
// or error handling): a relay whose listening and upstream sides are each plaintext or mutual TLS,
// moving bytes with pipe(), noDelay both ways as the sidecars set it. Two of them, plain->mTLS and
// mTLS->plain, are the least two proxies on Node.js can do for a TCP connection or an upgraded
// WebSocket. Used by the protocol bench (apps/bench/src/protocols.ts) and run-tcp.sh.
//
// Plain JavaScript run by bare node on purpose: loaded through tsx with the bench's imports, the
// same relay had a much larger heap, and the major GCs that the buffers of socket reads keep
// starting ("external memory pressure" in --trace-gc) cost it that much more: 1.7-2.0 against
// 0.9-1.0 CPU s per GiB for the mTLS-originating side, profiled at a third of its cycles in GC.
//
// usage: node tcp-relay.mjs <port> <readyPort> <upstreamPort> <in: plain|mtls> <out: plain|mtls> <certDir>
// certDir holds key.pem, cert.pem and the trusted ca.pem; GET /ready on readyPort answers once listening.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';

const [port, readyPort, upstreamPort, inMode, outMode, certDir] = process.argv.slice(2);
if (!certDir || ![inMode, outMode].every((m) => m === 'plain' || m === 'mtls')) {
  console.error('usage: node tcp-relay.mjs <port> <readyPort> <upstreamPort> <in: plain|mtls> <out: plain|mtls> <certDir>');
  process.exit(2);
}
const creds = { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')), ca: readFileSync(join(certDir, 'ca.pem')) };

function relay(client) {
  client.setNoDelay(true);
  client.on('error', () => undefined);
  const upstream = outMode === 'mtls'
    ? tls.connect({ ...creds, host: '127.0.0.1', port: Number(upstreamPort), checkServerIdentity: () => undefined })
    : net.connect(Number(upstreamPort), '127.0.0.1');
  upstream.setNoDelay(true);
  upstream.on('error', () => client.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

const options = { allowHalfOpen: true };
const server = inMode === 'mtls' ? tls.createServer({ ...creds, ...options, requestCert: true }, relay) : net.createServer(options, relay);
server.listen(Number(port), '127.0.0.1', () => createHttpServer((_req, res) => res.end('ready\n')).listen(Number(readyPort), '127.0.0.1'));
