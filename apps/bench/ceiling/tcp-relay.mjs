// Measuring stick for the TCP mesh path's ceiling (not a design: no routing, policy, metrics or
// error handling): a byte relay whose listening and upstream sides are each plaintext or mutual
// TLS, moving bytes with pipe(). Two of them, plain->mTLS and mTLS->plain, are the cheapest
// two-sidecar TCP path Node.js can make on this machine. Used by run-tcp.sh.
// usage: node tcp-relay.mjs <listen-port> <upstream-port> <in: plain|mtls> <out: plain|mtls> <cert-dir>
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [port, up, inMode, outMode, dir] = process.argv.slice(2);
const creds = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), ca: readFileSync(join(dir, 'cert.pem')) };

function serve(client) {
  client.on('error', () => undefined);
  const upstream = outMode === 'mtls'
    ? tls.connect({ ...creds, host: '127.0.0.1', port: Number(up), checkServerIdentity: () => undefined })
    : net.connect(Number(up), '127.0.0.1');
  upstream.on('error', () => client.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

const options = { allowHalfOpen: true };
(inMode === 'mtls' ? tls.createServer({ ...creds, ...options, requestCert: true }, serve) : net.createServer(options, serve)).listen(Number(port), '127.0.0.1');
