// Measuring stick for the mesh path's ceiling (not a design: head-only parsing, content-length
// bodies, no error handling): a raw-socket HTTP/1.1 forwarder whose listening and upstream sides
// are each plaintext or mutual TLS. Two of them, plain->mTLS and mTLS->plain, are the cheapest
// two-sidecar hop Node.js can make on this machine. Used by run-mtls.sh.
// usage: node mtls-forwarder.mjs <listen-port> <upstream-port> <in: plain|mtls> <out: plain|mtls> <cert-dir>
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [port, up, inMode, outMode, dir] = process.argv.slice(2);
const creds = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), ca: readFileSync(join(dir, 'cert.pem')) };
const pool = [];
const headLength = (buf) => { const i = buf.indexOf('\r\n\r\n'); return i < 0 ? -1 : i + 4; };
const contentLength = (head) => Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);

function upstream(callback) {
  const free = pool.pop();
  if (free) return callback(free);
  const socket = outMode === 'mtls'
    ? tls.connect({ ...creds, host: '127.0.0.1', port: Number(up), checkServerIdentity: () => undefined })
    : net.connect(Number(up), '127.0.0.1');
  socket.setNoDelay(true);
  socket.once(outMode === 'mtls' ? 'secureConnect' : 'connect', () => callback(socket));
}

function serve(client) {
  client.setNoDelay?.(true);
  client.on('error', () => undefined);
  let buf = Buffer.alloc(0);
  let busy = false;
  const pump = () => {
    if (busy) return;
    const hl = headLength(buf);
    if (hl < 0) return;
    const bl = contentLength(buf.subarray(0, hl).toString('latin1'));
    if (buf.length < hl + bl) return;
    const request = buf.subarray(0, hl + bl);
    buf = buf.subarray(hl + bl);
    busy = true;
    upstream((u) => {
      let rb = Buffer.alloc(0);
      const onData = (d) => {
        rb = rb.length ? Buffer.concat([rb, d]) : d;
        const h = headLength(rb);
        if (h < 0 || rb.length < h + contentLength(rb.subarray(0, h).toString('latin1'))) return;
        u.off('data', onData);
        client.write(rb);
        pool.push(u);
        busy = false;
        pump();
      };
      u.on('data', onData);
      u.write(request);
    });
  };
  client.on('data', (d) => { buf = buf.length ? Buffer.concat([buf, d]) : d; pump(); });
}

(inMode === 'mtls' ? tls.createServer({ ...creds, requestCert: true }, serve) : net.createServer({ noDelay: true }, serve)).listen(Number(port), '127.0.0.1');
