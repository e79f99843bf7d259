// HTTP/2 to one upstream origin: one connection (clear text with prior knowledge, or TLS with
// ALPN h2 to a peer sidecar) carrying many streams, each lent to one exchange as an
// UpstreamConnection, on Skiff's own HTTP/2 codec (h2codec/). A connection that says GOAWAY,
// fails or closes is replaced for the next request; streams already on it finish or fail on their
// own. Counters as the HTTP/1.1 pool's.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { UpstreamConnection, UpstreamPool } from '../chain/upstream-connection.js';
import { UpstreamError, type ClientRequestHead, type RequestBodyFraming, type ResponseEvents } from '../http1/client-connection.js';
import { ConnectError, type ClientPoolStats } from '../http1/client-pool.js';
import { fieldValue } from '../http1/field-list.js';
import { ErrorCode } from '../h2codec/frames.js';
import { H2Session, type H2Stream, type StreamHandler } from '../h2codec/session.js';
import { outgoingFields, responseHeadOf, withoutPseudo } from './h2-head.js';
import { H2IdleWatch } from './h2-idle-watch.js';
import { socketTransport } from './socket-transport.js';

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

/** Response heads are at most this large (Envoy's default max_response_headers_kb is 60). */
const MAX_RESPONSE_HEAD = 60 * 1024;

export class H2ClientPool implements UpstreamPool {
  readonly protocol = 'HTTP/2';
  #session: H2Session | undefined;
  #connecting = false;
  #waiters: Waiter[] = [];
  #streams = 0;
  #opened = 0;
  #connectFailures = 0;
  #retired = false;
  #closed = false;

  constructor(readonly options: H2ClientPoolOptions) {}

  get stats(): ClientPoolStats {
    const open = this.#session && !this.#session.closed ? 1 : 0;
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
    this.#session?.goaway();
  }

  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new ConnectError('ECLOSED', 'the pool is closed'));
    this.#socket?.destroy();
  }

  #socket: Socket | undefined;

  /** @internal a stream opened on, or finished with, the connection. */
  streamOpened(): void {
    this.#streams++;
  }

  streamClosed(): void {
    this.#streams--;
    if (this.#waiters.length > 0) this.#serveWaiters();
  }

  #usable(): H2Session | undefined {
    const s = this.#session;
    return s && s.canOpenStream && !this.#closed && !this.#retired ? s : undefined;
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0) {
      const session = this.#usable();
      if (!session) return this.#connect();
      (this.#waiters.shift() as Waiter).resolve(new H2ClientStream(session, this));
    }
  }

  #connect(): void {
    if (this.#connecting) return;
    // The connection is alive but at its peer's stream limit: waiters wait for a stream to end.
    const current = this.#session;
    if (current && !current.closed && !current.goingAway) return;
    this.#connecting = true;
    const { host, port, tls } = this.options;
    // Nagle off, as for HTTP/1.1 upstreams: small frames (HEADERS, WINDOW_UPDATE) would
    // otherwise wait for the peer's delayed ACK.
    const socket: Socket = tls ? tlsConnect({ ...tls, host, port, ALPNProtocols: ['h2'] }) : netConnect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })), this.options.connectTimeoutMs ?? 10_000);
    const fail = (error: Error & { code?: string }) => {
      clearTimeout(timer);
      if (!this.#connecting) return;
      this.#connecting = false;
      this.#connectFailures++;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new ConnectError(error.code ?? 'ECONNRESET', `cannot connect to ${host}:${port}: ${error.message}`));
    };
    socket.once('error', fail);
    socket.once('close', () => fail(Object.assign(new Error('the connection closed before HTTP/2 was set up'), { code: 'ECONNRESET' })));
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.on('error', () => undefined); // streams report their own failures
      this.#connecting = false;
      this.#opened++;
      const session: H2Session = new H2Session(socketTransport(socket), {
        role: 'client',
        maxHeaderListSize: MAX_RESPONSE_HEAD,
        onGoaway: () => {
          if (this.#session === session) this.#session = undefined;
          if (this.#waiters.length > 0) this.#connect();
        },
        onClose: () => {
          idle.stop();
          if (this.#session === session) this.#session = undefined;
          if (!socket.destroyed) socket.end();
          if (this.#waiters.length > 0 && !this.#closed) this.#connect();
        },
      });
      this.#session = session;
      this.#socket = socket;
      const idle = new H2IdleWatch(session, this.options.idleTimeoutMs ?? 30_000, () => {
        if (this.#session === session) this.#session = undefined;
        session.goaway();
      });
      socket.on('data', (chunk: Buffer) => session.receive(chunk));
      socket.on('drain', () => session.transportDrained());
      socket.once('end', () => session.transportClosed('the upstream closed the connection'));
      socket.once('close', () => session.transportClosed('the upstream connection closed'));
      if (this.#retired) session.goaway();
      this.#serveWaiters();
    });
  }
}

const NO_TRAILERS: readonly string[] = [];

/** One exchange on a shared HTTP/2 connection. */
class H2ClientStream implements UpstreamConnection {
  #stream: H2Stream | undefined;
  #responseStarted = false;
  #done = false;
  #drainCallbacks: (() => void)[] = [];

  constructor(
    private readonly session: H2Session,
    private readonly pool: H2ClientPool,
  ) {}

  get closed(): boolean {
    return this.#done || this.session.closed;
  }

  send(request: ClientRequestHead, framing: RequestBodyFraming, events: ResponseEvents): boolean {
    const fields = outgoingFields(request.headers, [':method', request.method, ':scheme', 'http', ':authority', fieldValue(request.headers, 'host') ?? '', ':path', request.path]);
    const endStream = framing.kind === 'none';
    let responseTrailers: string[] = [];
    const handler: StreamHandler = {
      headers: (received, ended, trailers) => {
        if (trailers) {
          responseTrailers = withoutPseudo(received);
          return;
        }
        this.#responseStarted = true;
        events.head(responseHeadOf(received, ended));
      },
      data: (chunk) => events.data(chunk),
      end: () => {
        this.#finished();
        if (this.#done) return;
        this.#done = true;
        events.end(responseTrailers);
      },
      reset: (code) => {
        this.#finished();
        if (this.#done) return;
        this.#done = true;
        // REFUSED_STREAM (also what a GOAWAY gives streams it did not take) means nothing was processed.
        const kind = !this.#responseStarted && code === ErrorCode.REFUSED_STREAM ? 'refused' : 'reset';
        events.error(new UpstreamError(kind, `the upstream reset the HTTP/2 stream (code ${code})`, this.#responseStarted));
      },
      drain: () => {
        for (const callback of this.#drainCallbacks.splice(0)) callback();
      },
    };
    if (!this.session.canOpenStream) {
      // The connection closed (or went away) between lending and sending.
      this.#done = true;
      queueMicrotask(() => events.error(new UpstreamError('refused', 'the HTTP/2 connection could not take a stream', false)));
      return true;
    }
    this.pool.streamOpened();
    this.#stream = this.session.request(fields, endStream, handler);
    return true;
  }

  #counted = true;

  #finished(): void {
    if (!this.#counted) return;
    this.#counted = false;
    this.pool.streamClosed();
  }

  write(chunk: Buffer): boolean {
    return this.#stream ? this.#stream.write(chunk) : true;
  }

  end(trailers: readonly string[] = NO_TRAILERS): void {
    this.#stream?.end(trailers.length > 0 ? outgoingFields(trailers) : undefined);
  }

  pause(): void {
    this.#stream?.pause();
  }

  resume(): void {
    this.#stream?.resume();
  }

  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    const stream = this.#stream;
    if (stream && !stream.closed) {
      stream.reset(ErrorCode.CANCEL);
      this.#finished();
    }
  }

  onDrain(callback: () => void): void {
    this.#drainCallbacks.push(callback);
  }
}

