// HTTP/2 to one upstream origin: one connection (clear text with prior knowledge, or TLS with
// ALPN h2 to a peer sidecar) carrying many streams, each lent to one exchange as an
// UpstreamConnection. A connection that says GOAWAY, fails or closes is replaced for the next
// request; streams already on it finish or fail on their own. Counters as the HTTP/1.1 pool's.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { connect as h2Connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { UpstreamConnection, UpstreamPool } from '../chain/upstream-connection.js';
import { UpstreamError, type ClientRequestHead, type RequestBodyFraming, type ResponseEvents } from '../http1/client-connection.js';
import { ConnectError, type ClientPoolStats } from '../http1/client-pool.js';
import { flatList, outgoingHeaders, responseHeadOf } from './h2-head.js';

export interface H2ClientPoolOptions {
  host: string;
  port: number;
  tls?: ConnectionOptions;
  connectTimeoutMs?: number;
  /** A connection with no stream open this long is closed (default 30 s). */
  idleTimeoutMs?: number;
}

interface Waiter {
  resolve: (connection: UpstreamConnection) => void;
  reject: (error: Error) => void;
}

export class H2ClientPool implements UpstreamPool {
  readonly protocol = 'HTTP/2';
  #session: ClientHttp2Session | undefined;
  #connecting = false;
  #waiters: Waiter[] = [];
  #streams = 0;
  #opened = 0;
  #connectFailures = 0;
  #retired = false;
  #closed = false;

  constructor(readonly options: H2ClientPoolOptions) {}

  get stats(): ClientPoolStats {
    const open = this.#session && !this.#session.closed && !this.#session.destroyed ? 1 : 0;
    return { open, free: open && this.#streams === 0 ? 1 : 0, busy: this.#streams, waiting: this.#waiters.length, connecting: this.#connecting ? 1 : 0, opened: this.#opened, connectFailures: this.#connectFailures };
  }

  get retired(): boolean {
    return this.#retired || this.#closed;
  }

  tryAcquire(): UpstreamConnection | undefined {
    const session = this.#usable();
    return session ? new H2ClientStream(session, this) : undefined;
  }

  acquire(signal?: AbortSignal): Promise<UpstreamConnection> {
    if (this.#closed) return Promise.reject(new ConnectError('ECLOSED', 'the pool is closed'));
    const ready = this.tryAcquire();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      signal?.addEventListener('abort', () => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      }, { once: true });
      this.#waiters.push(waiter);
      this.#connect();
    });
  }

  /** Graceful: GOAWAY once the streams in flight are done; the next request opens a new pool. */
  retire(): void {
    this.#retired = true;
    this.#session?.close();
  }

  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new ConnectError('ECLOSED', 'the pool is closed'));
    this.#session?.destroy();
  }

  /** @internal a stream opened on, or finished with, the connection. */
  streamOpened(): void {
    this.#streams++;
  }

  streamClosed(): void {
    this.#streams--;
  }

  #usable(): ClientHttp2Session | undefined {
    const s = this.#session;
    return s && !s.closed && !s.destroyed && !this.#closed && !this.#connecting ? s : undefined;
  }

  #connect(): void {
    if (this.#connecting) return;
    this.#connecting = true;
    const { host, port, tls } = this.options;
    const origin = `${tls ? 'https' : 'http'}://${host}:${port}`;
    const session = h2Connect(origin, {
      settings: { enablePush: false },
      createConnection: (): Socket => {
        // Nagle off, as for HTTP/1.1 upstreams: small frames (HEADERS, WINDOW_UPDATE) would
        // otherwise wait for the peer's delayed ACK.
        const socket = tls ? tlsConnect({ ...tls, host, port, ALPNProtocols: ['h2'] }) : netConnect({ host, port });
        socket.setNoDelay(true);
        return socket;
      },
    });
    const timer = setTimeout(() => session.destroy(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })), this.options.connectTimeoutMs ?? 10_000);
    const fail = (error: Error & { code?: string }) => {
      clearTimeout(timer);
      if (!this.#connecting) return;
      this.#connecting = false;
      this.#connectFailures++;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new ConnectError(error.code ?? 'ECONNRESET', `cannot connect to ${host}:${port}: ${error.message}`));
    };
    session.once('error', fail);
    session.once('close', () => {
      fail(Object.assign(new Error('the connection closed before HTTP/2 was set up'), { code: 'ECONNRESET' }));
      if (this.#session === session) this.#session = undefined;
    });
    session.once('goaway', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.once('connect', () => {
      clearTimeout(timer);
      session.off('error', fail);
      session.on('error', () => undefined); // streams report their own failures
      this.#connecting = false;
      this.#opened++;
      this.#session = session;
      session.setTimeout(this.options.idleTimeoutMs ?? 30_000, () => {
        if (this.#streams === 0 && this.#session === session) {
          this.#session = undefined;
          session.close();
        }
      });
      if (this.#retired) session.close();
      for (const waiter of this.#waiters.splice(0)) waiter.resolve(new H2ClientStream(session, this));
    });
  }
}

const NO_TRAILERS: readonly string[] = [];

/** One exchange on a shared HTTP/2 connection. */
class H2ClientStream implements UpstreamConnection {
  #stream: ClientHttp2Stream | undefined;
  #trailers: readonly string[] = NO_TRAILERS;
  #responseStarted = false;
  #done = false;

  constructor(
    private readonly session: ClientHttp2Session,
    private readonly pool: H2ClientPool,
  ) {}

  get closed(): boolean {
    return this.#done || this.session.closed || this.session.destroyed;
  }

  send(request: ClientRequestHead, framing: RequestBodyFraming, events: ResponseEvents): boolean {
    const headers = outgoingHeaders(request.headers, { [constants.HTTP2_HEADER_METHOD]: request.method, [constants.HTTP2_HEADER_PATH]: request.path, [constants.HTTP2_HEADER_SCHEME]: 'http', [constants.HTTP2_HEADER_AUTHORITY]: authorityOf(request.headers) });
    const endStream = framing.kind === 'none';
    let stream: ClientHttp2Stream;
    try {
      stream = this.session.request(headers, { endStream, waitForTrailers: !endStream });
    } catch (error) {
      // The connection closed between lending and sending.
      this.#done = true;
      queueMicrotask(() => events.error(new UpstreamError('refused', `the HTTP/2 connection could not take a stream: ${(error as Error).message}`, false)));
      return true;
    }
    this.#stream = stream;
    this.pool.streamOpened();
    let responseTrailers: string[] = [];
    stream.on('response', (received: IncomingHttpHeaders, flags: number) => {
      this.#responseStarted = true;
      events.head(responseHeadOf(received, flags));
    });
    stream.on('data', (chunk: Buffer) => events.data(chunk));
    stream.on('trailers', (received: IncomingHttpHeaders) => (responseTrailers = flatList(received)));
    stream.once('end', () => {
      if (this.#done) return;
      this.#done = true;
      events.end(responseTrailers);
    });
    stream.on('error', () => undefined); // 'close' says what happened
    stream.once('close', () => {
      this.pool.streamClosed();
      if (this.#done) return;
      this.#done = true;
      const code = stream.rstCode ?? constants.NGHTTP2_INTERNAL_ERROR;
      // REFUSED_STREAM (also what a GOAWAY gives streams it did not take) means nothing was processed.
      const kind = this.#responseStarted ? 'reset' : code === constants.NGHTTP2_REFUSED_STREAM ? 'refused' : 'reset';
      events.error(new UpstreamError(kind, `the upstream reset the HTTP/2 stream (code ${code})`, this.#responseStarted));
    });
    if (!endStream) stream.once('wantTrailers', () => stream.sendTrailers(outgoingHeaders(this.#trailers)));
    return true;
  }

  write(chunk: Buffer): boolean {
    return this.#stream ? this.#stream.write(chunk) : true;
  }

  end(trailers: readonly string[] = NO_TRAILERS): void {
    this.#trailers = trailers;
    this.#stream?.end();
  }

  pause(): void {
    this.#stream?.pause();
  }

  resume(): void {
    this.#stream?.resume();
  }

  destroy(): void {
    this.#done = true;
    if (this.#stream && !this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
  }

  onDrain(callback: () => void): void {
    this.#stream?.once('drain', callback);
  }
}

function authorityOf(headers: readonly string[]): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'host') return headers[i + 1] as string;
  return '';
}
