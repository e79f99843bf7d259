// One direction of an HTTP/1.1 connection, decoded as bytes arrive: a head, then the body its
// framing says (Content-Length, chunked, or until the connection closes), then the next message.
// After each complete message the decoder stops and keeps what follows (a pipelined request) until
// it is resumed, so a server answers one request at a time as Envoy's codec does
// (source/common/http/http1/codec_impl.cc pauses its parser at every message end).
import { ChunkedDecoder } from './chunked-decoder.js';
import { CodecError } from './codec-error.js';
import { checkPartialHead, DEFAULT_HEAD_LIMITS, findHeadEnd, parseRequestHead, parseResponseHead, skipEmptyLines, type HeadLimits, type RequestHead, type ResponseHead } from './head-parser.js';

export interface MessageEvents<H> {
  head(head: H): void;
  data(chunk: Buffer): void;
  /** The message is complete; trailers are [name, value, …] (empty without chunked trailers). */
  end(trailers: string[]): void;
  /** The bytes broke the protocol; nothing more is decoded. */
  error(error: CodecError): void;
}

const enum Body {
  None,
  Length,
  Chunked,
  UntilClose,
}

const EMPTY = Buffer.alloc(0);
const NO_TRAILERS: string[] = [];

abstract class MessageDecoder<H extends RequestHead | ResponseHead> {
  private buffered: Buffer = EMPTY;
  private checkedUpTo = 0;
  private body = Body.None;
  private remaining = 0;
  private chunked: ChunkedDecoder | undefined;
  private inMessage = false;
  private stopped = false;
  private failed = false;
  /** Bytes that arrived after the last complete message and wait to be decoded. */
  get pendingBytes(): number {
    return this.buffered.length;
  }
  get waitingAfterMessage(): boolean {
    return this.stopped;
  }
  /** The last message ended the connection (no keep-alive): bytes after it were dropped unread. */
  get closed(): boolean {
    return this.closedAfterMessage;
  }
  /** How many bytes came after a message that ended the connection (a peer ignoring its close). */
  droppedAfterClose = 0;
  private closedAfterMessage = false;
  private closeAfter = false;

  constructor(
    protected readonly events: MessageEvents<H>,
    protected readonly limits: HeadLimits,
  ) {}

  feed(chunk: Buffer): void {
    if (this.failed) return;
    if (this.closedAfterMessage) {
      this.droppedAfterClose += chunk.length - skipEmptyLines(chunk, 0);
      return;
    }
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.run();
  }

  /** Decodes what waits after a complete message, once its answer is done. */
  resume(): void {
    if (!this.stopped || this.failed) return;
    this.stopped = false;
    if (this.closedAfterMessage) {
      this.droppedAfterClose += this.buffered.length - skipEmptyLines(this.buffered, 0);
      this.buffered = EMPTY;
      return;
    }
    // Called from one of this decoder's own events: the loop under way goes on by itself.
    if (this.running) return;
    this.run();
  }

  private running = false;
  /** While a head's or body's event runs: how much of `buffered` is consumed (what detach() must not hand over). */
  private headEnd = 0;

  /**
   * The connection stops being HTTP/1 (an upgrade was accepted): nothing more is decoded, and the
   * bytes that came after the last message are handed over, for the tunnel to send on.
   */
  detach(): Buffer {
    // Inside a head's event (a CONNECT answered at once), the head itself is still in the buffer.
    const rest = this.running ? this.buffered.subarray(this.headEnd) : this.buffered;
    this.buffered = EMPTY;
    this.failed = true;
    return rest;
  }

  /** The peer closed its side: ends a close-delimited body; says whether a message was cut short. */
  eof(): 'clean' | 'truncated' {
    if (this.failed) return 'clean';
    if (this.inMessage && this.body === Body.UntilClose) {
      this.finish(NO_TRAILERS);
      return 'clean';
    }
    const waiting = this.buffered.length > 0 && !this.stopped && skipEmptyLines(this.buffered, 0) < this.buffered.length;
    return this.inMessage || waiting ? 'truncated' : 'clean';
  }

  protected abstract parseHead(buf: Buffer, start: number, end: number): H;
  /** How the body of `head` is framed. */
  protected abstract framingOf(head: H): Body;

  private run(): void {
    this.running = true;
    try {
      let offset = 0;
      let buf = this.buffered;
      while (!this.stopped && offset < buf.length) {
        if (!this.inMessage) {
          const start = skipEmptyLines(buf, offset);
          if (start >= buf.length) {
            offset = buf.length;
            break;
          }
          const end = findHeadEnd(buf, start, this.checkedUpTo > start ? this.checkedUpTo : start);
          if (end < 0) {
            checkPartialHead(buf, start, this.checkedUpTo, this.limits, this.isRequest);
            this.checkedUpTo = buf.length;
            offset = start;
            break;
          }
          const head = this.parseHead(buf, start, end);
          offset = end;
          this.checkedUpTo = 0;
          this.inMessage = true;
          this.body = this.framingOf(head);
          // After 101 Switching Protocols the bytes are no longer HTTP/1 (upgrades are tunnels).
          this.closeAfter = !head.keepAlive || ('status' in head && head.status === 101);
          this.headEnd = offset;
          this.events.head(head);
          if (this.failed) return;
          if (this.body === Body.None) {
            this.finish(NO_TRAILERS);
            continue;
          }
          if (this.body === Body.Length) this.remaining = head.contentLength;
          if (this.body === Body.Chunked) this.chunked = new ChunkedDecoder({ data: (d) => this.events.data(d), end: (t) => this.finish(t) }, this.limits);
          continue;
        }
        if (this.body === Body.Length) {
          const take = Math.min(this.remaining, buf.length - offset);
          const piece = buf.subarray(offset, offset + take);
          offset += take;
          this.remaining -= take;
          this.headEnd = offset;
          this.events.data(piece);
          if (this.remaining === 0) this.finish(NO_TRAILERS);
        } else if (this.body === Body.Chunked && this.chunked) {
          offset += this.chunked.feed(buf, offset);
        } else {
          const piece = offset === 0 ? buf : buf.subarray(offset);
          offset = buf.length;
          this.headEnd = offset;
          this.events.data(piece);
        }
        buf = this.buffered;
      }
      this.buffered = offset >= buf.length ? EMPTY : buf.subarray(offset);
      if (this.checkedUpTo > 0) this.checkedUpTo -= offset;
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.failed = true;
      this.buffered = EMPTY;
      this.events.error(error);
    } finally {
      this.running = false;
    }
  }

  private get isRequest(): boolean {
    return this instanceof RequestDecoder;
  }

  private finish(trailers: string[]): void {
    this.inMessage = false;
    this.chunked = undefined;
    this.stopped = true;
    if (this.closeAfter) this.closedAfterMessage = true;
    this.events.end(trailers);
  }
}

export class RequestDecoder extends MessageDecoder<RequestHead> {
  constructor(events: MessageEvents<RequestHead>, limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
    super(events, limits);
  }
  protected parseHead(buf: Buffer, start: number, end: number): RequestHead {
    return parseRequestHead(buf, start, end, this.limits);
  }
  protected framingOf(head: RequestHead): Body {
    if (head.chunked) return Body.Chunked;
    return head.contentLength > 0 ? Body.Length : Body.None;
  }
}

export class ResponseDecoder extends MessageDecoder<ResponseHead> {
  /** The method of the request this response answers: HEAD's responses carry no body. */
  requestMethod = 'GET';

  constructor(events: MessageEvents<ResponseHead>, limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
    super(events, limits);
  }
  protected parseHead(buf: Buffer, start: number, end: number): ResponseHead {
    return parseResponseHead(buf, start, end, this.limits);
  }
  // RFC 9112 §6.3: HEAD responses, 1xx, 204 and 304 have no body; then chunked, then a length;
  // otherwise the body runs until the server closes.
  protected framingOf(head: ResponseHead): Body {
    if (this.requestMethod === 'HEAD' || head.status < 200 || head.status === 204 || head.status === 304) return Body.None;
    if (head.chunked) return Body.Chunked;
    if (head.contentLength >= 0) return head.contentLength > 0 ? Body.Length : Body.None;
    return Body.UntilClose;
  }
}
