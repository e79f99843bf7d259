// The server side of HTTP/2 connections for a listener: clear text with prior knowledge (the
// client's first bytes are the connection preface) or TLS that negotiated "h2" by ALPN. Each
// request stream is handed to the connection manager as an H2ServerStream. Limits are Envoy's
// where it has them: 60 KiB of request headers, an idle connection closed after the idle timeout
// once no stream is open, a stream with no bytes either way reset after the stream idle timeout.
import type { Socket } from 'node:net';
import { constants, createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { requestHeadOf } from './h2-head.js';
import { H2ServerStream } from './h2-server-stream.js';

export interface H2AcceptorOptions {
  maxHeadBytes: number;
  idleTimeoutMs: number;
  streamIdleTimeoutMs: number;
  /** A stream whose head cannot be served (no :path, CONNECT): reset, and told here. */
  onRefused?: (why: string, socket: Socket) => void;
}

/** Streams open at once per connection: a bound per client; Envoy's default is 2^31-1 with its overload manager as the cap. */
const MAX_CONCURRENT_STREAMS = 1000;

/** The client's first bytes on a clear-text HTTP/2 connection (RFC 9113 §3.4). */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export class Http2Acceptor {
  readonly #server: Http2Server;
  readonly #sockets = new WeakMap<Http2Session, Socket>();
  /** Open sessions and the streams open on each (node exposes no count of its own). */
  readonly #sessions = new Map<Http2Session, number>();
  #accepting: Socket | undefined;

  constructor(
    onStream: (stream: H2ServerStream) => void,
    private readonly options: H2AcceptorOptions,
  ) {
    this.#server = createServer({ maxSessionMemory: 10, settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: options.maxHeadBytes } });
    // 'session' is emitted while the socket is being accepted: that is how a session finds its socket.
    this.#server.on('session', (session: Http2Session) => {
      const socket = this.#accepting as Socket;
      this.#sockets.set(session, socket);
      this.#sessions.set(session, 0);
      session.on('error', () => undefined);
      session.once('close', () => this.#sessions.delete(session));
      session.setTimeout(options.idleTimeoutMs, () => {
        // Envoy's idle timeout counts only time with no stream open.
        if (this.#sessions.get(session) === 0) session.close();
      });
    });
    this.#server.on('stream', (h2: ServerHttp2Stream, _headers: unknown, flags: number, raw: string[]) => {
      // Closing a stream with an error code (as the refusals below do) emits 'error' on it.
      h2.on('error', () => undefined);
      // A stream can be announced after its session was torn down (a client resetting streams
      // as fast as it opens them): then it has no session left, and nothing to serve.
      const session = h2.session;
      const open = session ? this.#sessions.get(session) : undefined;
      if (!session || open === undefined) return void h2.close(constants.NGHTTP2_CANCEL);
      const socket = this.#sockets.get(session) as Socket;
      this.#sessions.set(session, open + 1);
      h2.once('close', () => {
        const open = this.#sessions.get(session);
        if (open !== undefined) this.#sessions.set(session, open - 1);
      });
      const head = requestHeadOf(raw, flags);
      if (typeof head === 'string') {
        options.onRefused?.(head, socket);
        h2.close(constants.NGHTTP2_PROTOCOL_ERROR);
        return;
      }
      h2.setTimeout(options.streamIdleTimeoutMs, () => h2.close(constants.NGHTTP2_CANCEL));
      onStream(new H2ServerStream(h2, head, socket));
    });
  }

  /** Serves HTTP/2 on a socket whose first bytes are (or will be) the preface, or that negotiated h2. */
  accept(socket: Socket): void {
    this.#accepting = socket;
    try {
      this.#server.emit('connection', socket);
    } finally {
      this.#accepting = undefined;
    }
  }

  /** On shutdown: GOAWAY to every client; streams in flight finish. */
  closeSessions(): void {
    for (const session of this.#sessions.keys()) session.close();
  }

  get sessions(): number {
    return this.#sessions.size;
  }
}

/**
 * Tells HTTP/2 prior knowledge from HTTP/1.x by the first bytes, waiting only while they could
 * still be the preface; the bytes read are put back for whoever serves the socket.
 */
export function sniffHttp2Preface(socket: Socket, decide: (http2: boolean) => void): void {
  let seen: Buffer | undefined;
  const onData = (chunk: Buffer) => {
    seen = seen ? Buffer.concat([seen, chunk]) : chunk;
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    const matches = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (matches && n < HTTP2_PREFACE.length) return; // too few bytes to tell yet
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    socket.unshift(seen);
    decide(matches);
    // HTTP/1.1 reads through the socket's stream; an HTTP/2 session has taken its handle over
    // (and the bytes put back) and must be the only reader.
    if (!matches) socket.resume();
  };
  const onClose = () => socket.off('data', onData);
  socket.on('data', onData);
  socket.once('close', onClose);
  // A socket handed over paused (after sniffing) says nothing until it is read.
  socket.resume();
}