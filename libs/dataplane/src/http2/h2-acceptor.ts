// The server side of HTTP/2 connections for a listener: clear text with prior knowledge (the
// client's first bytes are the connection preface) or TLS that negotiated "h2" by ALPN. Each
// request stream is handed to the connection manager as an H2ServerStream. Limits are Envoy's
// where it has them: 60 KiB of request headers, an idle connection closed after the idle timeout
// once no stream is open, a stream with no bytes either way reset after the stream idle timeout.
import type { Socket } from 'node:net';
import { ErrorCode, PREFACE } from '../h2codec/frames.js';
import { H2Session, type H2Stream } from '../h2codec/session.js';
import { socketTransport } from './socket-transport.js';
import { requestHeadOf } from './h2-head.js';
import { H2IdleWatch } from './h2-idle-watch.js';
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

const HEAD_TOO_LARGE = Buffer.from('request header fields too large\n');

/** The client's first bytes on a clear-text HTTP/2 connection (RFC 9113 §3.4). */
export const HTTP2_PREFACE = PREFACE;

export class Http2Acceptor {
  readonly #sessions = new Set<H2Session>();

  constructor(
    private readonly onStream: (stream: H2ServerStream) => void,
    private readonly options: H2AcceptorOptions,
  ) {}

  /** Serves HTTP/2 on a socket whose first bytes are (or will be) the preface, or that negotiated h2. */
  accept(socket: Socket): void {
    const options = this.options;
    socket.setNoDelay(true);
    const session: H2Session = new H2Session(socketTransport(socket), {
      role: 'server',
      maxHeaderListSize: options.maxHeadBytes,
      maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
      onStream: (stream: H2Stream, fields: string[], endStream: boolean, tooLarge: boolean) => {
        if (tooLarge) {
          // Envoy answers a head over max_request_headers_kb with 431.
          stream.sendHeaders([':status', '431', 'content-type', 'text/plain', 'content-length', String(HEAD_TOO_LARGE.length)], false);
          stream.write(HEAD_TOO_LARGE);
          stream.end();
          return;
        }
        const head = requestHeadOf(fields, endStream ? 1 : 0);
        if (typeof head === 'string') {
          options.onRefused?.(head, socket);
          stream.reset(ErrorCode.PROTOCOL_ERROR);
          return;
        }
        this.onStream(new H2ServerStream(stream, head, socket, endStream));
      },
      onClose: () => {
        this.#sessions.delete(session);
        idle.stop();
        if (!socket.destroyed) socket.end();
      },
    });
    this.#sessions.add(session);
    const idle = new H2IdleWatch(session, options.idleTimeoutMs, () => session.goaway(), options.streamIdleTimeoutMs);
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
    socket.on('drain', () => session.transportDrained());
    socket.on('error', () => undefined);
    // The client ended its side (listeners allow half-open sockets for TCP): streams in flight finish.
    socket.once('end', () => session.goaway());
    socket.once('close', () => session.transportClosed('the connection closed'));
    socket.resume();
  }

  /** On shutdown: GOAWAY to every client; streams in flight finish. */
  closeSessions(): void {
    for (const session of this.#sessions) session.goaway();
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