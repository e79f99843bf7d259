// The server side of an HTTP/1.1 connection on a net or TLS socket, on the codec: each request
// becomes a ServerStream (a head, then body data and trailers; a response head, data, trailers),
// the shape an HTTP/2 stream will have too, with no node:http objects in between. One request is
// served at a time; a pipelined one waits in the decoder until the answer before it is done, as
// in Envoy's codec. Backpressure runs both ways: a stream pauses the socket it reads from, and
// write() says when the socket's buffer is full.
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { chunkHeader, lastChunk } from './chunked-decoder.js';
import type { DownstreamStream } from '../chain/downstream-stream.js';
import type { CodecError } from './codec-error.js';
import type { RequestHead } from './head-parser.js';
import { RequestDecoder } from './message-decoder.js';
import { DEFAULT_HEAD_LIMITS, type HeadLimits } from './head-parser.js';
import { coarseNow, unwatch, watch, type HasDeadline } from './connection-clock.js';

export interface ServerConnectionOptions {
  limits?: HeadLimits;
  /** From accepting the connection, or from a head's first byte, to the end of that head. */
  requestHeadersTimeoutMs?: number;
  /** Between requests, with nothing in flight. */
  idleTimeoutMs?: number;
  /** No byte either way while a request is in flight. */
  streamIdleTimeoutMs?: number;
  /** Told about each refused message (bad request), before the connection closes. */
  onProtocolError?: (error: CodecError, socket: Socket) => void;
}

/** How long an answer may take to go out before a connection closed mid-request is destroyed (Envoy's delayed_close_timeout). */
const DELAYED_CLOSE_MS = 1000;

/** Request bytes queued for a handler that has not started reading yet, before the socket pauses. */
const QUEUE_HIGH_WATER = 64 * 1024;

export class ServerStream implements DownstreamStream {
  #onData: ((chunk: Buffer) => void) | undefined;
  #onEnd: ((trailers: string[]) => void) | undefined;
  #queued: Buffer[] = [];
  #queuedBytes = 0;
  #endedWith: string[] | undefined;
  #pausedByHandler = false;
  /** Reasons a stream ends early: the client left, or its bytes broke the protocol. */
  onReset: ((reason: string) => void) | undefined;
  requestComplete = false;
  responseStarted = false;
  responseComplete = false;
  /** Response body bytes written (after any chunk framing is removed). */
  bytesSent = 0;
  /** Request body bytes received. */
  bytesReceived = 0;
  /** The response is chunked (no length was given). */
  #chunked = false;
  #noBody = false;
  #keepAlive: boolean;

  constructor(
    readonly head: RequestHead,
    private readonly connection: ServerConnection,
  ) {
    this.#keepAlive = head.keepAlive;
  }

  get socket(): Socket {
    return this.connection.socket;
  }

  get protocol(): 'HTTP/1.1' {
    return 'HTTP/1.1';
  }

  /** Starts reading the request body; queued bytes are handed over first. */
  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: string[]) => void): void {
    this.#onData = onData;
    this.#onEnd = onEnd;
    const queued = this.#queued;
    this.#queued = [];
    this.#queuedBytes = 0;
    for (const chunk of queued) onData(chunk);
    if (this.#endedWith !== undefined) onEnd(this.#endedWith);
    if (!this.#pausedByHandler) this.connection.resumeReading();
  }

  /** Stops reading the request body until resume (the upstream cannot take more now). */
  pause(): void {
    this.#pausedByHandler = true;
    this.connection.pauseReading();
  }

  resume(): void {
    this.#pausedByHandler = false;
    this.connection.resumeReading();
  }

  /**
   * Sends the response head. `headers` are the end-to-end fields; the codec adds the framing
   * ones: `contentLength` when the body's length is known (else chunked, or close on HTTP/1.0).
   */
  respond(status: number, headers: readonly string[], endStream: boolean, contentLength = -1): void {
    if (this.responseStarted) throw new Error('response already started');
    this.responseStarted = true;
    const method = this.head.method;
    // A 2xx to CONNECT, like a 101, turns the connection into a tunnel: no body framing follows.
    const tunnel = method === 'CONNECT' && status >= 200 && status < 300;
    this.#noBody = tunnel || method === 'HEAD' || status < 200 || status === 204 || status === 304;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    // HEAD answers keep the length the GET would have had (RFC 9110 §9.3.2).
    if (tunnel) {
      // nothing: the bytes after this head are the tunnel's
    } else if (contentLength >= 0 && (method === 'HEAD' || !this.#noBody)) head += `content-length: ${contentLength}\r\n`;
    else if (!this.#noBody) {
      if (endStream) head += 'content-length: 0\r\n';
      else if (this.head.minor === 1) {
        head += 'transfer-encoding: chunked\r\n';
        this.#chunked = true;
      } else this.#keepAlive = false; // HTTP/1.0: the body ends when the connection does
    }
    // A response that does not wait for the rest of the request ends the connection after it,
    // as Envoy does: what remains of the request body is not read.
    if (endStream && !this.requestComplete) this.#keepAlive = false;
    if (!this.#keepAlive) head += 'connection: close\r\n';
    head += '\r\n';
    const socket = this.connection.socket;
    socket.cork();
    socket.write(head, 'latin1');
    process.nextTick(uncork, socket);
    if (endStream) this.#finishResponse();
  }

  /** Writes body bytes; false when the socket's buffer is full (wait for onDrain). */
  write(chunk: Buffer): boolean {
    if (!this.responseStarted || this.responseComplete) throw new Error('write outside a response');
    if (this.#noBody || chunk.length === 0) return true;
    this.bytesSent += chunk.length;
    this.connection.touch();
    const socket = this.connection.socket;
    if (!this.#chunked) return socket.write(chunk);
    socket.cork();
    socket.write(chunkHeader(chunk.length), 'latin1');
    socket.write(chunk);
    const ok = socket.write('\r\n', 'latin1');
    process.nextTick(uncork, socket);
    return ok;
  }

  /** Ends the response, with trailers when it is chunked (HTTP/1.1 carries them only so). */
  end(trailers: readonly string[] = []): void {
    if (this.responseComplete) return;
    if (this.#chunked) this.connection.socket.write(lastChunk(trailers), 'latin1');
    this.#finishResponse();
  }

  onDrain(callback: () => void): void {
    this.connection.socket.once('drain', callback);
  }

  /** Abandons the stream: the connection is closed (HTTP/1.1 has no other way to cancel). */
  reset(): void {
    this.connection.destroy();
  }

  /**
   * After a 101 response: the connection is no longer HTTP/1. The socket is handed over with the
   * bytes that came after the request's head, and the connection's timers stop (the tunnel has
   * its own idle timeout, the stream idle timeout it returns).
   */
  takeOver(): { socket: Socket; pending: Buffer; idleTimeoutMs: number } {
    if (!this.responseStarted) throw new Error('takeOver before the 101 response');
    return this.connection.detach();
  }

  get keepAlive(): boolean {
    return this.#keepAlive;
  }

  /** @internal decoder events */
  deliver(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    if (this.#onData) return this.#onData(chunk);
    this.#queued.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes >= QUEUE_HIGH_WATER) this.connection.pauseReading();
  }

  /** @internal */
  deliverEnd(trailers: string[]): void {
    this.requestComplete = true;
    if (this.#onEnd) this.#onEnd(trailers);
    else this.#endedWith = trailers;
    this.connection.streamMayBeDone(this);
  }

  #finishResponse(): void {
    this.responseComplete = true;
    // Answered before the request was all read (a local reply to an upload, an early error from
    // the upstream): the rest of it is not waited for; the connection ends after the answer.
    if (!this.requestComplete) this.#keepAlive = false;
    this.connection.streamMayBeDone(this);
  }
}

function uncork(socket: Socket): void {
  socket.uncork();
}

const enum Waiting {
  /** A request is in flight. */
  None,
  /** No byte of the next head yet. */
  Idle,
  /** Part of a head has come. */
  Head,
}

/** Bytes of a pipelined request (or an early tunnel) held while a request is in flight, before the socket pauses. */
const PIPELINE_HIGH_WATER = 64 * 1024;

export class ServerConnection implements HasDeadline {
  deadline = Infinity;
  readonly #decoder: RequestDecoder;
  readonly #onData = (chunk: Buffer) => this.#onBytes(chunk);
  readonly #onEnd = () => this.#onPeerEnd();
  #detached = false;
  #stream: ServerStream | undefined;
  #waiting = Waiting.Head;
  #readPaused = false;
  #closed = false;
  readonly #options: Required<Omit<ServerConnectionOptions, 'onProtocolError'>> & Pick<ServerConnectionOptions, 'onProtocolError'>;

  constructor(
    readonly socket: Socket,
    private readonly onStream: (stream: ServerStream) => void,
    options: ServerConnectionOptions = {},
  ) {
    this.#options = { limits: DEFAULT_HEAD_LIMITS, requestHeadersTimeoutMs: 10_000, idleTimeoutMs: 65_000, streamIdleTimeoutMs: 300_000, ...options };
    this.#decoder = new RequestDecoder(
      {
        head: (head) => this.#onHead(head),
        data: (chunk) => this.#stream?.deliver(chunk),
        end: (trailers) => this.#stream?.deliverEnd(trailers),
        error: (error) => this.#onCodecError(error),
      },
      this.#options.limits,
    );
    socket.setNoDelay(true);
    watch(this);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', () => this.#onClose());
    socket.on('error', () => undefined); // 'close' follows and says what matters
    // First head: the clock runs from accepting the connection (a client that sends nothing too).
    this.#arm(this.#options.requestHeadersTimeoutMs);
  }

  /** No request in flight: the connection may be closed without cutting anything short. */
  get idle(): boolean {
    // A tunnel has no end of its own: on shutdown it is closed with the idle connections.
    return this.#stream === undefined || this.#detached;
  }

  /** Bytes moved on the stream in flight: its idle deadline moves on. */
  touch(): void {
    if (this.#waiting === Waiting.None) this.deadline = coarseNow() + this.#options.streamIdleTimeoutMs;
  }

  pauseReading(): void {
    if (this.#readPaused) return;
    this.#readPaused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.#readPaused) return;
    this.#readPaused = false;
    this.socket.resume();
  }

  destroy(): void {
    this.#closed = true;
    this.socket.destroy();
  }

  /** @internal ServerStream.takeOver: the socket leaves HTTP/1. */
  detach(): { socket: Socket; pending: Buffer; idleTimeoutMs: number } {
    this.#detached = true;
    this.#closed = true;
    this.#disarm();
    unwatch(this);
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.#readPaused = false;
    return { socket: this.socket, pending: this.#decoder.detach(), idleTimeoutMs: this.#options.streamIdleTimeoutMs };
  }

  /** @internal: the stream is done when both its request and its response are. */
  streamMayBeDone(stream: ServerStream): void {
    if (stream !== this.#stream || !stream.responseComplete) return;
    if (!stream.keepAlive || !stream.requestComplete) {
      // An answer complete before its request ends the connection (Envoy resets such a stream):
      // the rest of the request is not read. The socket may be paused mid-body, so it would never
      // see the client's FIN: it is destroyed once the answer has had a second to go out (Envoy's
      // delayed close).
      this.#closed = true;
      this.#disarm();
      this.socket.end();
      if (!stream.requestComplete) setTimeout(() => this.socket.destroy(), DELAYED_CLOSE_MS).unref();
      return;
    }
    this.#stream = undefined;
    this.#waiting = Waiting.Idle;
    this.#arm(this.#options.idleTimeoutMs);
    this.resumeReading();
    // A pipelined request may already wait in the decoder; never re-enter it from its own event.
    if (this.#inDecoder) this.#resumeAfter = true;
    else this.#resumeDecoder();
  }

  #inDecoder = false;
  #resumeAfter = false;

  #onBytes(chunk: Buffer): void {
    if (this.#closed) return;
    this.touch();
    if (this.#waiting === Waiting.Idle) this.#enterHead();
    this.#inDecoder = true;
    this.#decoder.feed(chunk);
    this.#inDecoder = false;
    if (this.#resumeAfter) this.#resumeDecoder();
    // A client that sends on while its request is in flight (pipelining, or bytes for a tunnel
    // not yet open) is held at a bound: reading resumes when the request is done.
    else if (this.#stream && this.#decoder.pendingBytes > PIPELINE_HIGH_WATER) this.pauseReading();
  }

  #resumeDecoder(): void {
    do {
      this.#resumeAfter = false;
      if (this.#closed) return;
      if (this.#decoder.pendingBytes > 0 && !this.#stream) this.#enterHead();
      this.#inDecoder = true;
      this.#decoder.resume();
      this.#inDecoder = false;
    } while (this.#resumeAfter);
  }

  #enterHead(): void {
    this.#waiting = Waiting.Head;
    this.#arm(this.#options.requestHeadersTimeoutMs);
  }

  #onHead(head: RequestHead): void {
    this.#waiting = Waiting.None;
    // While a request is in flight the deadline is the stream idle timeout, pushed on by bytes.
    this.#arm(this.#options.streamIdleTimeoutMs);
    const stream = new ServerStream(head, this);
    // A request without a body is complete at its head (the decoder says so right after).
    if (!head.chunked && head.contentLength <= 0) stream.requestComplete = true;
    this.#stream = stream;
    // Envoy answers the expectation itself unless told to pass it on.
    if (head.expectContinue && (head.chunked || head.contentLength > 0)) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    this.onStream(stream);
  }

  #onCodecError(error: CodecError): void {
    this.#options.onProtocolError?.(error, this.socket);
    const stream = this.#stream;
    if (stream && stream.responseStarted) {
      stream.onReset?.(`protocol error: ${error.message}`);
      this.destroy();
      return;
    }
    stream?.onReset?.(`protocol error: ${error.message}`);
    this.#closed = true;
    this.#disarm();
    const body = `${STATUS_CODES[error.status]}: ${error.message}\n`;
    this.socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
  }

  #onPeerEnd(): void {
    // The client half-closed. A request cut short is reset; one complete may still be answered.
    if (this.#decoder.eof() === 'truncated' || (this.#stream && !this.#stream.requestComplete)) {
      this.#stream?.onReset?.('the client closed before its request was complete');
      this.destroy();
      return;
    }
    if (!this.#stream) this.destroy();
  }

  #onClose(): void {
    if (this.#detached) return;
    this.#closed = true;
    this.#disarm();
    unwatch(this);
    const stream = this.#stream;
    if (stream && !(stream.requestComplete && stream.responseComplete)) stream.onReset?.('the client closed the connection');
  }

  /** @internal the sweep found this connection past its deadline. */
  onDeadline(): void {
    this.destroy();
  }

  // Phase deadlines are taken from the real clock: the sweep's clock may be up to a tick old,
  // which would close an idle connection early. Only the per-chunk stream-idle push uses it.
  #arm(ms: number): void {
    this.deadline = Date.now() + ms;
  }

  #disarm(): void {
    this.deadline = Infinity;
  }
}
