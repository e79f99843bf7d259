// Reads a connection's TLS ClientHello without consuming it (Envoy's tls_inspector listener
// filter): the bytes read are handed back, to be sent on first. One reader for the two places that
// look at a ClientHello before deciding: a gateway's PASSTHROUGH port (routing by server name) and
// a sidecar's TCP port (mesh mTLS, or the app's own TLS, told apart by ALPN).
import type { Socket } from 'node:net';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from '../gateway/client-hello.js';

export type PeekResult =
  /** A whole ClientHello. */
  | { kind: 'hello'; serverName?: string; alpn?: string[]; buffered: Buffer }
  /** The first bytes are not a TLS handshake. */
  | { kind: 'not-tls'; buffered: Buffer }
  /** 64 KiB and the ClientHello is still not complete. */
  | { kind: 'too-big'; buffered: Buffer }
  /** Nothing at all within `silentMs` (a client that waits for the server to speak first). */
  | { kind: 'silent' }
  /** Closed, or a ClientHello begun and not finished within the timeout. */
  | { kind: 'failed'; why: string };

/** Envoy's listener_filters_timeout default. */
export const CLIENT_HELLO_TIMEOUT_MS = 15_000;

export interface PeekOptions {
  timeoutMs?: number;
  /** When set, a client that sends no byte this long ends the peek as 'silent'. */
  silentMs?: number;
}

/** Reads until the ClientHello is whole (or is not one); `done` gets the socket paused and the bytes read. */
export function peekClientHello(socket: Socket, options: PeekOptions, done: (result: PeekResult) => void): void {
  const timeoutMs = options.timeoutMs ?? CLIENT_HELLO_TIMEOUT_MS;
  let buffered = Buffer.alloc(0);
  let finished = false;
  const finish = (result: PeekResult) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    clearTimeout(silence);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    done(result);
  };
  const onData = (chunk: Buffer) => {
    clearTimeout(silence);
    buffered = Buffer.concat([buffered, chunk]);
    const hello = readClientHello(buffered);
    if (hello.state === 'hello') return finish({ kind: 'hello', ...(hello.serverName === undefined ? {} : { serverName: hello.serverName }), ...(hello.alpn ? { alpn: hello.alpn } : {}), buffered });
    if (hello.state === 'not-tls') return finish({ kind: 'not-tls', buffered });
    if (buffered.length >= MAX_CLIENT_HELLO_BYTES) finish({ kind: 'too-big', buffered });
  };
  const onClose = () => finish({ kind: 'failed', why: 'closed before its ClientHello' });
  const timer = setTimeout(() => finish({ kind: 'failed', why: `no ClientHello within ${timeoutMs} ms` }), timeoutMs);
  const silence = options.silentMs !== undefined && options.silentMs > 0 ? setTimeout(() => buffered.length === 0 && finish({ kind: 'silent' }), options.silentMs) : undefined;
  socket.on('data', onData);
  socket.once('close', onClose);
  socket.resume();
}
