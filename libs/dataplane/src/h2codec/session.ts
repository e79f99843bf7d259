// One HTTP/2 connection's protocol state (RFC 9113), either side: frames in, frames out, streams,
// flow control both ways, HPACK state. No sockets and no timers: bytes come in through receive(),
// go out through the transport given, and the role adapters (http2/h2-acceptor.ts, h2-client-pool.ts)
// wire it to a socket and to the filter chain. Hostile peers are answered as Envoy and nghttp2
// answer them: every size is bounded, a flood of control frames or of streams reset as they open
// closes the connection.
import {
  DEFAULT_MAX_FRAME, DEFAULT_WINDOW, ErrorCode, Flag, FRAME_HEADER, FrameType, goawayFrame, headerFrames, MAX_WINDOW,
  pingFrame, PREFACE, rstStreamFrame, Setting, SETTINGS_ACK, settingsFrame, windowUpdateFrame, writeFrameHeader,
} from './frames.js';
import { fieldValue } from '../http1/field-list.js';
import { HpackDecoder, HpackEncoder, HpackError } from './hpack.js';

export interface H2Transport {
  /** False when the transport is full: wait for transportDrained(). */
  write(chunks: Buffer[], bytes: number): boolean;
  /** Ends the connection once what was written has gone. */
  end(): void;
}

/** What a stream's owner hears. */
export interface StreamHandler {
  /** A response head (client side), or trailers (`trailers` true; the stream ends with them). */
  headers(fields: string[], endStream: boolean, trailers: boolean): void;
  data(chunk: Buffer): void;
  end(): void;
  /** The stream was reset, by the peer or by the connection closing (code as on the wire). */
  reset(code: number, byPeer: boolean): void;
  /** The stream can take more data again after write() returned false. */
  drain(): void;
}

export interface SessionOptions {
  role: 'server' | 'client';
  /** Decoded header list limit (SETTINGS_MAX_HEADER_LIST_SIZE). */
  maxHeaderListSize: number;
  /** Server: streams a client may have open at once. */
  maxConcurrentStreams?: number;
  /** Receive window per stream and for the connection. */
  streamWindow?: number;
  connectionWindow?: number;
  /** Server: a new request stream (its head decoded). `tooLarge`: its head went over the limit. */
  onStream?(stream: H2Stream, fields: string[], endStream: boolean, tooLarge: boolean): void;
  /** The peer said GOAWAY (client side: no new streams on this connection). */
  onGoaway?(lastStreamId: number, code: number): void;
  /** The connection failed or was closed; every stream has been told. */
  onClose?(reason: string): void;
}

/** Bytes a stream may queue past what flow control lets out before write() says wait. */
const STREAM_HIGH_WATER = 64 * 1024;
/**
 * Bytes held for paused streams, per connection, past which the connection window is no longer
 * reopened until they are read. Below it, a slow stream does not hold up the others (the
 * connection window reopens as bytes arrive, as nghttp2 does); above it, a peer filling paused
 * streams is stopped by flow control, not by memory.
 */
const SESSION_BUFFER_LIMIT = 4 * 1024 * 1024;
/** Control frames (PING and SETTINGS acks, resets) queued while the peer is not reading (Envoy's max_outbound_control_frames). */
const MAX_QUEUED_CONTROL_FRAMES = 1000;
/** A header block (all its CONTINUATION frames) over this closes the connection (the CONTINUATION flood). */
const MAX_HEADER_BLOCK_FACTOR = 2;
/**
 * Envoy's premature-reset rule (source/common/http/conn_manager_impl.cc, runtime
 * overload.premature_reset_total_stream_count and _min_stream_lifetime_seconds): a stream the
 * client resets within a second and before any answer is premature. Once 500 streams have closed,
 * the connection is cut when at least half were premature; before that, at 250 premature ones.
 */
const PREMATURE_RESET_STREAMS = 500;
const PREMATURE_RESET_LIFETIME_MS = 1000;

export class H2Stream {
  handler: StreamHandler | undefined;
  /** Set by the owner: when the stream last moved a byte (stream idle timeout). */
  lastActivity = 0;
  localEnded = false;
  remoteEnded = false;
  closed = false;
  /** Client side: a final (non-1xx) response head arrived. Server side: a response head was sent. */
  responded = false;
  /** When the stream opened (server side, for the premature-reset rule). */
  openedAt = 0;
  sendWindow: number;
  recvWindow: number;
  /** Received bytes handed to the owner and not yet credited back by WINDOW_UPDATE. */
  unacked = 0;
  paused = false;
  inbox: Buffer[] | undefined;
  inboxBytes = 0;
  inboxEnded = false;
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** After the pending data: END_STREAM, with trailers if any. */
  pendingEnd: readonly string[] | undefined;

  constructor(
    readonly id: number,
    readonly session: H2Session,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** Sends a head (fields include pseudo-headers). */
  sendHeaders(fields: readonly string[], endStream: boolean): void {
    this.session.sendHeaders(this, fields, endStream);
  }

  write(chunk: Buffer): boolean {
    return this.session.writeData(this, chunk);
  }

  end(trailers?: readonly string[]): void {
    this.session.endStream(this, trailers);
  }

  reset(code: ErrorCode): void {
    this.session.resetStream(this, code, false);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.session.deliverInbox(this);
  }
}

export class H2Session {
  readonly #options: SessionOptions;
  readonly #transport: H2Transport;
  readonly #decoder: HpackDecoder;
  readonly #encoder = new HpackEncoder();
  readonly #streams = new Map<number, H2Stream>();
  readonly #blocked = new Set<H2Stream>();
  readonly #wantDrain = new Set<H2Stream>();
  #in: Buffer | undefined;
  #prefaceNeeded: boolean;
  #settingsSeen = false;
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  #transportFull = false;
  #controlQueued = 0;
  /** Peer's settings. */
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = DEFAULT_MAX_FRAME;
  #peerMaxStreams = Infinity;
  #connSendWindow = DEFAULT_WINDOW;
  #connRecvWindow: number;
  #connUnacked = 0;
  /** Bytes held in streams' inboxes, and how many of them the connection window has not been given back. */
  #buffered = 0;
  #connOwed = 0;
  readonly #streamWindow: number;
  readonly #connWindow: number;
  #lastPeerStream = 0;
  #nextStreamId = 1;
  #open = 0;
  #continuation: { streamId: number; fragments: Buffer[]; bytes: number; endStream: boolean } | undefined;
  #goawaySent = false;
  #goawayReceived = false;
  #closed = false;
  #streamsClosed = 0;
  #prematureResets = 0;

  constructor(transport: H2Transport, options: SessionOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#decoder = new HpackDecoder();
    this.#streamWindow = options.streamWindow ?? 256 * 1024;
    this.#connWindow = options.connectionWindow ?? 1024 * 1024;
    this.#connRecvWindow = this.#connWindow;
    this.#prefaceNeeded = options.role === 'server';
    const settings: [Setting, number][] = [
      [Setting.INITIAL_WINDOW_SIZE, this.#streamWindow],
      [Setting.MAX_HEADER_LIST_SIZE, options.maxHeaderListSize],
    ];
    if (options.role === 'server') settings.push([Setting.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams ?? 1000]);
    else settings.push([Setting.ENABLE_PUSH, 0]);
    if (options.role === 'client') this.#queue(PREFACE);
    this.#queue(settingsFrame(settings));
    if (this.#connWindow > DEFAULT_WINDOW) this.#queue(windowUpdateFrame(0, this.#connWindow - DEFAULT_WINDOW));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get goingAway(): boolean {
    return this.#goawaySent || this.#goawayReceived;
  }

  get openStreams(): number {
    return this.#open;
  }

  get streams(): IterableIterator<H2Stream> {
    return this.#streams.values();
  }

  /** Client side: a new stream may be opened now. */
  get canOpenStream(): boolean {
    return !this.#closed && !this.goingAway && this.#open < this.#peerMaxStreams && this.#nextStreamId < MAX_WINDOW;
  }

  /** Client side: opens a stream and sends its request head. */
  request(fields: readonly string[], endStream: boolean, handler: StreamHandler): H2Stream {
    if (!this.canOpenStream) throw new Error('the HTTP/2 connection cannot take a new stream');
    const stream = new H2Stream(this.#nextStreamId, this, this.#peerInitialWindow, this.#streamWindow);
    this.#nextStreamId += 2;
    stream.handler = handler;
    this.#streams.set(stream.id, stream);
    this.#open++;
    this.sendHeaders(stream, fields, endStream);
    return stream;
  }

  // ---- receiving ----

  receive(chunk: Buffer): void {
    if (this.#closed) return;
    let data = this.#in ? Buffer.concat([this.#in, chunk]) : chunk;
    this.#in = undefined;
    let at = 0;
    try {
      if (this.#prefaceNeeded) {
        const n = Math.min(data.length, PREFACE.length);
        if (!data.subarray(0, n).equals(PREFACE.subarray(0, n))) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'the connection did not begin with the HTTP/2 preface');
        if (data.length < PREFACE.length) {
          this.#in = data;
          return;
        }
        this.#prefaceNeeded = false;
        at = PREFACE.length;
      }
      while (!this.#closed && data.length - at >= FRAME_HEADER) {
        const length = ((data[at] as number) << 16) | ((data[at + 1] as number) << 8) | (data[at + 2] as number);
        if (length > DEFAULT_MAX_FRAME) return this.#fail(ErrorCode.FRAME_SIZE_ERROR, `a frame of ${length} bytes, over the ${DEFAULT_MAX_FRAME} allowed`);
        if (data.length - at < FRAME_HEADER + length) break;
        const type = data[at + 3] as number;
        const flags = data[at + 4] as number;
        const streamId = data.readUInt32BE(at + 5) & 0x7fffffff;
        const payload = data.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
        at += FRAME_HEADER + length;
        this.#frame(type, flags, streamId, payload);
      }
    } catch (error) {
      if (error instanceof HpackError) return this.#fail(ErrorCode.COMPRESSION_ERROR, error.message);
      throw error;
    }
    if (!this.#closed && at < data.length) {
      // A partial frame: keep it apart from the buffer it came in (which may be large).
      data = data.subarray(at);
      this.#in = at === 0 ? data : Buffer.from(data);
    }
  }

  #frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#continuation && type !== FrameType.CONTINUATION) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    if (!this.#settingsSeen && type !== FrameType.SETTINGS) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'the first frame was not SETTINGS');
    switch (type) {
      case FrameType.DATA:
        return this.#onData(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.#onHeaders(flags, streamId, payload);
      case FrameType.PRIORITY:
        if (streamId === 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (payload.length !== 5) {
          const stream = this.#streams.get(streamId);
          if (stream) return this.resetStream(stream, ErrorCode.FRAME_SIZE_ERROR);
          return void this.#queueControl(rstStreamFrame(streamId, ErrorCode.FRAME_SIZE_ERROR));
        }
        return;
      case FrameType.RST_STREAM:
        return this.#onReset(streamId, payload);
      case FrameType.SETTINGS:
        return this.#onSettings(flags, streamId, payload);
      case FrameType.PUSH_PROMISE:
        return this.#fail(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE, though push is off');
      case FrameType.PING:
        if (streamId !== 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) return this.#fail(ErrorCode.FRAME_SIZE_ERROR, 'a PING that is not 8 bytes');
        if ((flags & Flag.ACK) === 0) this.#queueControl(pingFrame(payload, true));
        return;
      case FrameType.GOAWAY:
        return this.#onGoaway(streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(streamId, payload);
      case FrameType.CONTINUATION:
        return this.#onContinuation(flags, streamId, payload);
      default:
        return; // §5.5: unknown frame types are ignored
    }
  }

  #onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (payload.length !== 0) return this.#fail(ErrorCode.FRAME_SIZE_ERROR, 'a SETTINGS ack with a payload');
      return;
    }
    if (payload.length % 6 !== 0) return this.#fail(ErrorCode.FRAME_SIZE_ERROR, 'a SETTINGS frame not a multiple of 6 bytes');
    for (let i = 0; i < payload.length; i += 6) {
      const id = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      switch (id) {
        case Setting.HEADER_TABLE_SIZE:
          this.#encoder.setMaxTableSize(value);
          break;
        case Setting.ENABLE_PUSH:
          if (value > 1) return this.#fail(ErrorCode.PROTOCOL_ERROR, `ENABLE_PUSH ${value}`);
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          this.#peerMaxStreams = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) return this.#fail(ErrorCode.FLOW_CONTROL_ERROR, `INITIAL_WINDOW_SIZE ${value}`);
          const delta = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const stream of this.#streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW) return this.#fail(ErrorCode.FLOW_CONTROL_ERROR, 'a stream window over 2^31-1');
          }
          if (delta > 0) this.#flushBlocked();
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME || value > 16_777_215) return this.#fail(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE ${value}`);
          this.#peerMaxFrame = value;
          break;
        default:
          break; // MAX_HEADER_LIST_SIZE is advisory; unknown settings are ignored
      }
    }
    this.#queueControl(SETTINGS_ACK);
    this.#settingsSeen = true;
  }

  #onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let start = 0;
    let end = payload.length;
    if (flags & Flag.PADDED) {
      if (payload.length < 1) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'a padded HEADERS frame without its pad length');
      end -= payload[0] as number;
      start = 1;
    }
    if (flags & Flag.PRIORITY) start += 5;
    if (start > end) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
    const fragment = payload.subarray(start, end);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) return this.#onHeaderBlock(streamId, fragment, endStream);
    this.#continuation = { streamId, fragments: [Buffer.from(fragment)], bytes: fragment.length, endStream };
  }

  #onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const c = this.#continuation;
    if (!c || c.streamId !== streamId) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'a CONTINUATION frame without its HEADERS');
    c.bytes += payload.length;
    if (c.bytes > this.#options.maxHeaderListSize * MAX_HEADER_BLOCK_FACTOR) return this.#fail(ErrorCode.ENHANCE_YOUR_CALM, `a header block over ${c.bytes} bytes`);
    c.fragments.push(Buffer.from(payload));
    if ((flags & Flag.END_HEADERS) === 0) return;
    this.#continuation = undefined;
    this.#onHeaderBlock(streamId, Buffer.concat(c.fragments), c.endStream);
  }

  #onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    // Decoded even for streams that are gone: the HPACK table must stay in step with the peer's.
    const decoded = this.#decoder.decode(block, this.#options.maxHeaderListSize);
    const stream = this.#streams.get(streamId);
    if (stream) return this.#onStreamHeaders(stream, decoded.fields, endStream, decoded.tooLarge);
    if (this.#options.role === 'client') return; // a stream already reset
    if (streamId % 2 === 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, `a client opened even stream ${streamId}`);
    if (streamId <= this.#lastPeerStream) return; // a stream already closed or reset: ignored
    this.#lastPeerStream = streamId;
    if (this.#goawaySent) return void this.#queueControl(rstStreamFrame(streamId, ErrorCode.REFUSED_STREAM));
    if (this.#open >= (this.#options.maxConcurrentStreams ?? 1000)) return void this.#queueControl(rstStreamFrame(streamId, ErrorCode.REFUSED_STREAM));
    const created = new H2Stream(streamId, this, this.#peerInitialWindow, this.#streamWindow);
    created.remoteEnded = endStream;
    this.#streams.set(streamId, created);
    this.#open++;
    created.openedAt = Date.now();
    this.#options.onStream?.(created, decoded.fields, endStream, decoded.tooLarge);
  }

  #onStreamHeaders(stream: H2Stream, fields: string[], endStream: boolean, tooLarge: boolean): void {
    if (stream.remoteEnded) return this.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (tooLarge) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    let trailers = true;
    if (this.#options.role === 'client' && !stream.responded) {
      const status = statusOf(fields);
      if (status >= 100 && status < 200) return; // informational (100-continue): the final head follows
      stream.responded = true;
      trailers = false;
    }
    if (trailers && !endStream) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    stream.handler?.headers(fields, endStream, trailers);
    if (endStream) this.#remoteEnd(stream);
  }

  #onData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const flowLength = payload.length;
    if (flowLength > this.#connRecvWindow) return this.#fail(ErrorCode.FLOW_CONTROL_ERROR, 'DATA past the connection window');
    this.#connRecvWindow -= flowLength;
    let start = 0;
    let end = payload.length;
    if (flags & Flag.PADDED) {
      if (payload.length < 1 || (payload[0] as number) >= payload.length) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than the frame');
      end -= payload[0] as number;
      start = 1;
    }
    const stream = this.#streams.get(streamId);
    if (!stream || stream.remoteEnded) {
      // A stream already gone: its bytes still count against the connection, and are given back.
      this.#creditConnection(flowLength);
      if (!stream && streamId > this.#lastPeerStream && this.#options.role === 'server') return this.#fail(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      if (stream) this.resetStream(stream, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (flowLength > stream.recvWindow) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    stream.recvWindow -= flowLength;
    // Padding is never delivered: it is credited back at once.
    const padding = flowLength - (end - start);
    if (padding > 0) {
      this.#creditConnection(padding);
      this.#creditStream(stream, padding);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (end > start) {
      const chunk = payload.subarray(start, end);
      if (stream.paused || stream.inbox) {
        (stream.inbox ??= []).push(Buffer.from(chunk));
        stream.inboxBytes += chunk.length;
        this.#buffered += chunk.length;
        if (this.#buffered <= SESSION_BUFFER_LIMIT) this.#creditConnection(chunk.length);
        else this.#connOwed += chunk.length;
      } else {
        this.#creditConnection(chunk.length);
        this.#creditStream(stream, chunk.length);
        stream.handler?.data(chunk);
      }
    }
    if (endStream) {
      if (stream.inbox) stream.inboxEnded = true;
      else this.#remoteEnd(stream);
    }
  }

  /** @internal the owner resumed a paused stream: what arrived meanwhile goes to it, then the window opens. */
  deliverInbox(stream: H2Stream): void {
    while (stream.inbox && !stream.paused && !stream.closed) {
      const chunk = stream.inbox.shift();
      if (!chunk) {
        stream.inbox = undefined;
        if (stream.inboxEnded) this.#remoteEnd(stream);
        break;
      }
      this.#unbuffer(stream, chunk.length);
      this.#creditStream(stream, chunk.length);
      stream.handler?.data(chunk);
    }
    this.#scheduleFlush();
  }

  /** Received bytes are consumed (or, below the buffer limit, held): the window reopens in steps of a quarter. */
  #creditConnection(bytes: number): void {
    this.#connUnacked += bytes;
    if (this.#connUnacked >= this.#connWindow / 4) {
      this.#queue(windowUpdateFrame(0, this.#connUnacked));
      this.#connRecvWindow += this.#connUnacked;
      this.#connUnacked = 0;
    }
  }

  /** A stream's window reopens only as its owner reads: that is how backpressure reaches the peer. */
  #creditStream(stream: H2Stream, bytes: number): void {
    if (stream.remoteEnded) return;
    stream.unacked += bytes;
    if (stream.unacked >= this.#streamWindow / 4) {
      this.#queue(windowUpdateFrame(stream.id, stream.unacked));
      stream.recvWindow += stream.unacked;
      stream.unacked = 0;
    }
  }

  /** Bytes left a stream's inbox (read, or dropped with the stream): the connection window owed them comes back. */
  #unbuffer(stream: H2Stream, bytes: number): void {
    stream.inboxBytes -= bytes;
    this.#buffered -= bytes;
    const owed = Math.min(bytes, this.#connOwed);
    if (owed > 0) {
      this.#connOwed -= owed;
      this.#creditConnection(owed);
    }
  }

  #remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    stream.inboxEnded = false;
    stream.handler?.end();
    if (stream.localEnded) this.#close(stream);
  }

  #onReset(streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (payload.length !== 4) return this.#fail(ErrorCode.FRAME_SIZE_ERROR, 'an RST_STREAM that is not 4 bytes');
    const stream = this.#streams.get(streamId);
    if (!stream) {
      if (this.#options.role === 'server' && streamId > this.#lastPeerStream) return this.#fail(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
      return;
    }
    const code = payload.readUInt32BE(0);
    if (this.#options.role === 'client' && (stream.inboxEnded || stream.remoteEnded)) {
      // The response had ended (END_STREAM seen): a reset now only stops what this side sends
      // (RFC 9113 §8.1: "stop sending"; node:http2 servers also send one after a full answer).
      // What was received is still delivered.
      stream.localEnded = true;
      stream.pending = [];
      stream.pendingBytes = 0;
      stream.pendingEnd = undefined;
      this.#blocked.delete(stream);
      if (!stream.inbox) this.#close(stream);
      return;
    }
    if (code === ErrorCode.NO_ERROR && this.#options.role === 'client' && stream.responded && stream.localEnded) {
      // node:http2 servers end a response whose data was queued when the app ended it with
      // RST_STREAM(NO_ERROR) after the last DATA frame, not END_STREAM; node's own client reads that
      // as the end of the response, and so does this one (it is never a truncation node makes).
      if (stream.inbox) stream.inboxEnded = true;
      else this.#remoteEnd(stream);
      if (!stream.inbox) this.#close(stream);
      return;
    }
    if (this.#options.role === 'server' && !stream.responded && Date.now() - stream.openedAt < PREMATURE_RESET_LIFETIME_MS) {
      this.#prematureResets++;
      this.#close(stream);
      stream.handler?.reset(code, true);
      const closed = this.#streamsClosed;
      if (closed >= PREMATURE_RESET_STREAMS ? this.#prematureResets * 2 >= closed : this.#prematureResets >= PREMATURE_RESET_STREAMS / 2) {
        this.#fail(ErrorCode.ENHANCE_YOUR_CALM, `${this.#prematureResets} of ${closed} streams reset by the client before their answer`);
      }
      return;
    }
    this.#close(stream);
    stream.handler?.reset(code, true);
  }

  #onGoaway(streamId: number, payload: Buffer): void {
    if (streamId !== 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (payload.length < 8) return this.#fail(ErrorCode.FRAME_SIZE_ERROR, 'a GOAWAY shorter than 8 bytes');
    const last = payload.readUInt32BE(0) & 0x7fffffff;
    const code = payload.readUInt32BE(4);
    this.#goawayReceived = true;
    // Streams this side opened past the peer's last are refused: nothing of them was processed.
    const ours = this.#options.role === 'client' ? 1 : 0;
    for (const stream of [...this.#streams.values()]) {
      if (stream.id > last && stream.id % 2 === ours) {
        this.#close(stream);
        stream.handler?.reset(ErrorCode.REFUSED_STREAM, true);
      }
    }
    this.#options.onGoaway?.(last, code);
    if (this.#open === 0) this.#finish('the peer said GOAWAY');
  }

  #onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) return this.#fail(ErrorCode.FRAME_SIZE_ERROR, 'a WINDOW_UPDATE that is not 4 bytes');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) return this.#fail(ErrorCode.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0');
      this.#connSendWindow += increment;
      if (this.#connSendWindow > MAX_WINDOW) return this.#fail(ErrorCode.FLOW_CONTROL_ERROR, 'the connection window over 2^31-1');
      return this.#flushBlocked();
    }
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    if (increment === 0) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    this.#flushStream(stream);
    this.#scheduleFlush();
  }

  // ---- sending ----

  /** @internal */
  sendHeaders(stream: H2Stream, fields: readonly string[], endStream: boolean): void {
    if (stream.closed || stream.localEnded || this.#closed) return;
    if (this.#options.role === 'server') stream.responded = true;
    const block = this.#encoder.encode(fields);
    for (const frame of headerFrames(stream.id, block, endStream, this.#peerMaxFrame)) this.#queue(frame);
    if (endStream) this.#localEnd(stream);
  }

  /** @internal */
  writeData(stream: H2Stream, chunk: Buffer): boolean {
    if (stream.closed || stream.localEnded || this.#closed || chunk.length === 0) return !this.#transportFull;
    stream.pending.push(chunk);
    stream.pendingBytes += chunk.length;
    this.#sendPending(stream);
    const writable = !this.#transportFull && stream.pendingBytes < STREAM_HIGH_WATER;
    if (!writable) this.#wantDrain.add(stream);
    return writable;
  }

  /** @internal ends the stream's side: END_STREAM on the last data, or trailers. */
  endStream(stream: H2Stream, trailers?: readonly string[]): void {
    if (stream.closed || stream.localEnded || this.#closed) return;
    stream.pendingEnd = trailers ?? [];
    this.#flushStream(stream);
    this.#scheduleFlush();
  }

  /** @internal sends RST_STREAM and forgets the stream; the owner is told unless it asked for it. */
  resetStream(stream: H2Stream, code: ErrorCode, tellOwner = true): void {
    if (stream.closed) return;
    this.#close(stream);
    this.#queueControl(rstStreamFrame(stream.id, code));
    if (tellOwner) stream.handler?.reset(code, false);
  }

  #dataFrames(stream: H2Stream, data: Buffer): void {
    stream.sendWindow -= data.length;
    this.#connSendWindow -= data.length;
    const max = this.#peerMaxFrame;
    let at = 0;
    do {
      const size = Math.min(max, data.length - at);
      const header = Buffer.allocUnsafe(FRAME_HEADER);
      writeFrameHeader(header, 0, size, FrameType.DATA, 0, stream.id);
      this.#queue(header);
      if (size > 0) this.#queue(data.subarray(at, at + size));
      at += size;
    } while (at < data.length);
  }

  /** Sends the stream's queued data as far as the windows allow; false when some must wait. */
  #sendPending(stream: H2Stream): boolean {
    while (stream.pending.length > 0) {
      const allowed = Math.min(stream.sendWindow, this.#connSendWindow);
      if (allowed <= 0) {
        this.#blocked.add(stream);
        return false;
      }
      const head = stream.pending[0] as Buffer;
      const now = Math.min(allowed, head.length);
      if (now === head.length) stream.pending.shift();
      else stream.pending[0] = head.subarray(now);
      stream.pendingBytes -= now;
      this.#dataFrames(stream, head.subarray(0, now));
    }
    this.#blocked.delete(stream);
    return true;
  }

  /** Sends the stream's queued data as far as the windows allow, then its end when all is out. */
  #flushStream(stream: H2Stream): void {
    if (!this.#sendPending(stream)) return;
    const end = stream.pendingEnd;
    if (end !== undefined) {
      stream.pendingEnd = undefined;
      if (end.length > 0) {
        const block = this.#encoder.encode(end);
        for (const frame of headerFrames(stream.id, block, true, this.#peerMaxFrame)) this.#queue(frame);
      } else this.#queue(endFrame(stream.id));
      this.#localEnd(stream);
    }
    if (this.#wantDrain.has(stream) && !this.#transportFull && stream.pendingBytes < STREAM_HIGH_WATER) this.#drained(stream);
  }

  #flushBlocked(): void {
    for (const stream of [...this.#blocked]) {
      if (this.#connSendWindow <= 0) break;
      this.#flushStream(stream);
    }
    this.#scheduleFlush();
  }

  #drained(stream: H2Stream): void {
    this.#wantDrain.delete(stream);
    if (!stream.closed) stream.handler?.drain();
  }

  #localEnd(stream: H2Stream): void {
    stream.localEnded = true;
    if (stream.remoteEnded) return this.#close(stream);
    // A server that has answered in full tells the client to stop sending (RFC 9113 §8.1).
    if (this.#options.role === 'server') {
      this.#close(stream);
      this.#queueControl(rstStreamFrame(stream.id, ErrorCode.NO_ERROR));
    }
  }

  #close(stream: H2Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    stream.pending = [];
    stream.pendingBytes = 0;
    if (stream.inboxBytes > 0) this.#unbuffer(stream, stream.inboxBytes);
    stream.inbox = undefined;
    this.#blocked.delete(stream);
    this.#wantDrain.delete(stream);
    if (this.#streams.delete(stream.id)) {
      this.#open--;
      this.#streamsClosed++;
    }
    // A stream's unconsumed window does not come back through it: the connection's does.
    if (this.#open === 0 && this.goingAway) queueMicrotask(() => this.#open === 0 && this.#finish('GOAWAY and no stream left'));
  }

  // ---- the connection ----

  /** Graceful: GOAWAY, streams in flight finish, then the connection ends. */
  goaway(code: ErrorCode = ErrorCode.NO_ERROR, debug = ''): void {
    if (this.#closed || this.#goawaySent) return;
    this.#goawaySent = true;
    this.#queueControl(goawayFrame(this.#options.role === 'server' ? this.#lastPeerStream : 0, code, debug));
    if (this.#open === 0) this.#finish('GOAWAY sent');
  }

  /** A connection error (§5.4.1): GOAWAY with the code, every stream reset, the connection ends. */
  #fail(code: ErrorCode, reason: string): void {
    if (this.#closed) return;
    this.#continuation = undefined;
    this.#queue(goawayFrame(this.#lastPeerStream, code, reason));
    this.#goawaySent = true;
    this.#finish(reason, code);
  }

  #finish(reason: string, code: ErrorCode = ErrorCode.CANCEL): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#transport.end();
    this.#abandonStreams(code);
    this.#options.onClose?.(reason);
  }

  /** The transport closed under the session. */
  transportClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abandonStreams(ErrorCode.CANCEL);
    this.#options.onClose?.(reason);
  }

  #abandonStreams(code: ErrorCode): void {
    for (const stream of [...this.#streams.values()]) {
      this.#close(stream);
      stream.handler?.reset(code, false);
    }
  }

  transportDrained(): void {
    this.#transportFull = false;
    this.#controlQueued = 0;
    for (const stream of [...this.#wantDrain]) if (stream.pendingBytes < STREAM_HIGH_WATER) this.#drained(stream);
  }

  #queueControl(frame: Buffer): void {
    if (this.#transportFull && ++this.#controlQueued > MAX_QUEUED_CONTROL_FRAMES) {
      return this.#fail(ErrorCode.ENHANCE_YOUR_CALM, `over ${MAX_QUEUED_CONTROL_FRAMES} control frames queued for a peer that does not read`);
    }
    this.#queue(frame);
  }

  #queue(buffer: Buffer): void {
    this.#out.push(buffer);
    this.#outBytes += buffer.length;
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#out.length === 0) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /** Everything queued this turn goes out in one write. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#out.length === 0 || this.#closed) return;
    const out = this.#out;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    if (!this.#transport.write(out, bytes)) this.#transportFull = true;
  }
}

function endFrame(streamId: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER);
  writeFrameHeader(out, 0, 0, FrameType.DATA, Flag.END_STREAM, streamId);
  return out;
}

function statusOf(fields: readonly string[]): number {
  return Number(fieldValue(fields, ':status') ?? 0);
}
