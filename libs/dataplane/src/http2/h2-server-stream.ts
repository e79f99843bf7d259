// One HTTP/2 request stream as a DownstreamStream, on Skiff's own HTTP/2 codec (h2codec/), in the
// shape the filter chain reads. Trailers travel as HTTP/2 trailers both ways, which gRPC needs.
import type { Socket } from 'node:net';
import type { DownstreamStream } from '../chain/downstream-stream.js';
import { coarseNow } from '../http1/connection-clock.js';
import { fieldValue } from '../http1/field-list.js';
import type { RequestHead } from '../http1/head-parser.js';
import { ErrorCode } from '../h2codec/frames.js';
import type { H2Stream, StreamHandler } from '../h2codec/session.js';
import { outgoingFields, withoutPseudo } from './h2-head.js';

const NO_TRAILERS: string[] = [];

export class H2ServerStream implements DownstreamStream {
  onReset: ((reason: string) => void) | undefined;
  responseStarted = false;
  responseComplete = false;
  bytesSent = 0;
  bytesReceived = 0;
  #requestTrailers: string[] = NO_TRAILERS;
  #noBody = false;
  #onData: ((chunk: Buffer) => void) | undefined;
  #onEnd: ((trailers: string[]) => void) | undefined;
  #requestEnded: boolean;
  #drainCallbacks: (() => void)[] = [];

  constructor(
    readonly h2: H2Stream,
    readonly head: RequestHead,
    readonly socket: Socket,
    endedWithHead: boolean,
  ) {
    this.#requestEnded = endedWithHead;
    h2.handler = this.#fromCodec();
    h2.lastActivity = coarseNow();
    // Bytes that come before the chain reads the body wait in the stream (within its window).
    h2.pause();
  }

  get protocol(): 'HTTP/2' {
    return 'HTTP/2';
  }

  /** What the codec tells this stream. */
  #fromCodec(): StreamHandler {
    return {
      headers: (fields) => (this.#requestTrailers = withoutPseudo(fields)),
      data: (chunk) => {
        this.h2.lastActivity = coarseNow();
        this.bytesReceived += chunk.length;
        this.#onData?.(chunk);
      },
      end: () => {
        if (this.#requestEnded) return;
        this.#requestEnded = true;
        this.#onEnd?.(this.#requestTrailers);
      },
      reset: (code, byPeer) => {
        if (this.responseComplete) return;
        this.responseComplete = true;
        this.onReset?.(byPeer ? `the client reset the HTTP/2 stream (code ${code})` : `the HTTP/2 stream was reset (code ${code})`);
      },
      drain: () => {
        this.h2.lastActivity = coarseNow();
        for (const callback of this.#drainCallbacks.splice(0)) callback();
      },
    };
  }

  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: string[]) => void): void {
    this.#onData = onData;
    this.#onEnd = onEnd;
    if (this.#requestEnded) return void queueMicrotask(() => onEnd(this.#requestTrailers));
    this.h2.resume();
  }

  pause(): void {
    this.h2.pause();
  }

  resume(): void {
    this.h2.resume();
  }

  respond(status: number, headers: readonly string[], endStream: boolean, contentLength = -1): void {
    if (this.responseStarted) throw new Error('response already started');
    this.responseStarted = true;
    if (this.h2.closed) return;
    this.#noBody = this.head.method === 'HEAD' || status === 204 || status === 304;
    const fields = outgoingFields(headers, [':status', String(status)]);
    if (contentLength >= 0 && status !== 204 && status !== 304 && fieldValue(fields, 'content-length') === undefined) fields.push('content-length', String(contentLength));
    this.h2.lastActivity = coarseNow();
    this.h2.sendHeaders(fields, endStream);
    if (endStream) this.responseComplete = true;
  }

  write(chunk: Buffer): boolean {
    if (this.#noBody || chunk.length === 0 || this.h2.closed) return true;
    this.bytesSent += chunk.length;
    this.h2.lastActivity = coarseNow();
    return this.h2.write(chunk);
  }

  end(trailers: readonly string[] = NO_TRAILERS): void {
    if (this.responseComplete) return;
    this.responseComplete = true;
    if (!this.h2.closed) this.h2.end(trailers.length > 0 ? outgoingFields(trailers) : undefined);
  }

  onDrain(callback: () => void): void {
    this.#drainCallbacks.push(callback);
  }

  /** RST_STREAM: HTTP/2 cancels one stream and keeps the connection. */
  reset(): void {
    this.responseComplete = true;
    this.h2.reset(ErrorCode.INTERNAL_ERROR);
  }

  takeOver(): never {
    throw new Error('an HTTP/2 stream cannot leave HTTP (upgrades are HTTP/1.1 only)');
  }
}
