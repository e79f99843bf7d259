// Reads a connection's TLS ClientHello without consuming it, for routing by server name (Envoy's
// tls_inspector listener filter): the bytes read are handed on to be sent upstream first. A
// connection that is not TLS, sends more than 64 KiB before its ClientHello is complete, or sends
// none within the timeout is given up on.
import type { Socket } from 'node:net';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from '../gateway/client-hello.js';

export type PeekResult = { ok: true; serverName?: string; buffered: Buffer } | { ok: false; why: string };

/** Envoy's listener_filters_timeout default. */
export const CLIENT_HELLO_TIMEOUT_MS = 15_000;

export function peekServerName(socket: Socket, done: (result: PeekResult) => void, timeoutMs = CLIENT_HELLO_TIMEOUT_MS): void {
  let buffered = Buffer.alloc(0);
  let finished = false;
  const finish = (result: PeekResult) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    done(result);
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const hello = readClientHello(buffered);
    if (hello.state === 'hello') return finish({ ok: true, ...(hello.serverName === undefined ? {} : { serverName: hello.serverName }), buffered });
    if (hello.state === 'not-tls') return finish({ ok: false, why: 'not a TLS ClientHello' });
    if (buffered.length >= MAX_CLIENT_HELLO_BYTES) finish({ ok: false, why: `no complete ClientHello in ${MAX_CLIENT_HELLO_BYTES} bytes` });
  };
  const onClose = () => finish({ ok: false, why: 'closed before its ClientHello' });
  const timer = setTimeout(() => finish({ ok: false, why: `no ClientHello within ${timeoutMs} ms` }), timeoutMs);
  socket.on('data', onData);
  socket.once('close', onClose);
  socket.resume();
}
