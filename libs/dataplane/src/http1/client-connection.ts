// The client side of an HTTP/1.1 connection to an upstream, on the codec: one request at a time
// (HTTP/1.1 pipelining to upstreams is unsafe and Envoy does not do it), the response decoded as
// it arrives and handed on in pieces, the connection reusable once both directions are complete
// and neither side said close.
import type { Socket } from 'node:net';
import { chunkHeader, lastChunk } from './chunked-decoder.js';
import type { HeadLimits, ResponseHead } from './head-parser.js';
import { DEFAULT_HEAD_LIMITS } from './head-parser.js';
import { ResponseDecoder } from './message-decoder.js';
import type { UpstreamConnection } from '../chain/upstream-connection.js';

export interface ClientRequestHead {
  method: string;
  /** origin-form: path and query. */
  path: string;
  /** End-to-end fields, flat [name, value, …], lowercased names, including host. */
  headers: readonly string[];
  /** The Upgrade value to offer (sent with `connection: upgrade`); a 101 answer is expected only then. */
  upgrade?: string;
}

/** How the request body is framed on the wire. */
export type RequestBodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

export interface ResponseEvents {
  /** The final response head (interim 1xx answers are consumed here). */
  head(head: ResponseHead): void;
  data(chunk: Buffer): void;
  end(trailers: string[]): void;
  /** The exchange failed: reset before or during the response, or the response broke HTTP/1.1. */
  error(error: UpstreamError): void;
  /**
   * After a 101 head (delivered to head() first): the connection is no longer HTTP/1 and leaves
   * the pool when its socket closes. The socket is handed over with the bytes that followed the 101.
   */
  upgraded?(socket: Socket, pending: Buffer): void;
}

/** `refused`: HTTP/2's REFUSED_STREAM (or a stream the connection could not take): nothing was processed. */
export type UpstreamErrorKind = 'reset' | 'protocol' | 'closed-before-response' | 'refused';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    /** Response bytes had arrived before it failed. */
    readonly responseStarted: boolean,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export class ClientConnection implements UpstreamConnection {
  readonly #decoder: ResponseDecoder;
  #events: ResponseEvents | undefined;
  #responseStarted = false;
  #requestComplete = false;
  #responseComplete = false;
  #keepAlive = true;
  #closed = false;
  #upgradeOffered = false;
  #upgraded = false;
  readonly #onData = (chunk: Buffer) => {
    this.#decoder.feed(chunk);
    if (this.#upgraded) this.#handOver();
  };
  readonly #onPeerEndListener = () => this.#onPeerEnd();
  /** Requests this connection has carried. */
  requests = 0;
  /** Told when the connection becomes free for another request, or closes. */
  onIdle: ((connection: ClientConnection) => void) | undefined;
  onClose: ((connection: ClientConnection) => void) | undefined;

  constructor(
    readonly socket: Socket,
    limits: HeadLimits = DEFAULT_HEAD_LIMITS,
  ) {
    this.#decoder = new ResponseDecoder(
      {
        head: (head) => this.#onHead(head),
        data: (chunk) => this.#events?.data(chunk),
        end: (trailers) => this.#onEnd(trailers),
        error: (error) => this.#fail(new UpstreamError('protocol', `the upstream broke HTTP/1.1: ${error.message}`, this.#responseStarted)),
      },
      limits,
    );
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onPeerEndListener);
    socket.on('close', () => this.#onClose());
    socket.on('error', () => undefined); // 'close' follows
  }

  get busy(): boolean {
    return this.#events !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a request head; the body follows through write()/end() unless framing is none.
   * Returns false when the socket's buffer is full.
   */
  send(request: ClientRequestHead, framing: RequestBodyFraming, events: ResponseEvents): boolean {
    if (this.#events || this.#closed) throw new Error('connection is busy or closed');
    this.#events = events;
    this.#responseStarted = false;
    this.#responseComplete = false;
    this.#requestComplete = framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0);
    this.#chunked = framing.kind === 'chunked';
    this.#upgradeOffered = request.upgrade !== undefined;
    this.requests++;
    this.#decoder.requestMethod = request.method;
    this.#decoder.resume(); // it stopped after the previous response
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    const h = request.headers;
    for (let i = 0; i < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
    if (framing.kind === 'length') head += `content-length: ${framing.length}\r\n`;
    else if (framing.kind === 'chunked') head += 'transfer-encoding: chunked\r\n';
    else if (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH') head += 'content-length: 0\r\n';
    if (request.upgrade !== undefined) head += `connection: upgrade\r\nupgrade: ${request.upgrade}\r\n`;
    head += '\r\n';
    return this.socket.write(head, 'latin1');
  }

  #chunked = false;

  /** Request body bytes; false when the socket's buffer is full (wait for 'drain'). */
  write(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    if (!this.#chunked) return this.socket.write(chunk);
    this.socket.cork();
    this.socket.write(chunkHeader(chunk.length), 'latin1');
    this.socket.write(chunk);
    const ok = this.socket.write('\r\n', 'latin1');
    this.socket.uncork();
    return ok;
  }

  /** The request body is complete (trailers only with chunked framing). */
  end(trailers: readonly string[] = []): void {
    if (this.#requestComplete) return;
    if (this.#chunked) this.socket.write(lastChunk(trailers), 'latin1');
    this.#requestComplete = true;
    this.#maybeIdle();
  }

  onDrain(callback: () => void): void {
    this.socket.once('drain', callback);
  }

  /** Stops reading the response (the downstream cannot take more now). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Abandons the exchange; the connection cannot be reused after a cut-short request. */
  destroy(): void {
    this.#events = undefined;
    this.#closed = true;
    this.socket.destroy();
  }

  #onHead(head: ResponseHead): void {
    if (head.status === 101) {
      // Switching Protocols answers an offered upgrade only (RFC 9110 §15.2.2); the bytes after it
      // are the new protocol's, handed over once the decoder has stopped (#onData).
      if (!this.#upgradeOffered || head.upgrade === undefined) {
        return this.#fail(new UpstreamError('protocol', 'the upstream answered 101 Switching Protocols to a request that offered no upgrade', false));
      }
      this.#responseStarted = true;
      this.#upgraded = true;
      this.#events?.head(head);
      return;
    }
    if (head.status < 200) {
      // 100 Continue and other interim answers: the final one follows.
      queueMicrotask(() => this.#decoder.resume());
      return;
    }
    this.#responseStarted = true;
    if (!head.keepAlive) this.#keepAlive = false;
    this.#events?.head(head);
  }

  #handOver(): void {
    const events = this.#events;
    this.#events = undefined;
    this.#upgraded = false;
    this.#keepAlive = false;
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onPeerEndListener);
    const pending = this.#decoder.detach();
    // Still busy in its pool's eyes until the socket closes ('close' is still heard).
    if (events?.upgraded) events.upgraded(this.socket, pending);
    else this.socket.destroy();
  }

  #onEnd(trailers: string[]): void {
    if (this.#upgraded) return; // the 101's head is its whole message; the tunnel takes over
    if (!this.#responseStarted) return; // the end of an interim response
    this.#responseComplete = true;
    const events = this.#events;
    if (!this.#requestComplete) {
      // An answer that came before the whole request was sent: the rest is not sent, and the
      // connection, cut mid-request, cannot carry another exchange. Closed now, not when a
      // request body that may never finish does.
      this.#events = undefined;
      this.#closed = true;
      this.socket.destroy();
      events?.end(trailers);
      return;
    }
    // Free first, so whatever the end sets off (the client's next request) can reuse this connection.
    this.#maybeIdle();
    events?.end(trailers);
  }

  #maybeIdle(): void {
    if (!this.#responseComplete || !this.#requestComplete || !this.#events) return;
    this.#events = undefined;
    if (!this.#keepAlive) {
      this.#closed = true;
      this.socket.end();
      return;
    }
    // The exchange may have paused reading for a slow client just as its last bytes came.
    this.socket.resume();
    this.onIdle?.(this);
  }

  #onPeerEnd(): void {
    const state = this.#decoder.eof(); // ends a close-delimited body
    if (state === 'truncated' || (this.#events && !this.#responseComplete)) {
      this.#fail(new UpstreamError(this.#responseStarted ? 'reset' : 'closed-before-response', 'the upstream closed the connection before the response was complete', this.#responseStarted));
    }
    this.#closed = true;
    this.socket.end();
  }

  #onClose(): void {
    this.#closed = true;
    if (this.#events) this.#fail(new UpstreamError(this.#responseStarted ? 'reset' : 'closed-before-response', 'the upstream connection closed', this.#responseStarted));
    this.onClose?.(this);
  }

  #fail(error: UpstreamError): void {
    const events = this.#events;
    this.#events = undefined;
    this.#closed = true;
    this.socket.destroy();
    events?.error(error);
  }
}

