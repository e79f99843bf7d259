// A request body that streams to the upstream as it arrives and, while a route may need it again
// (a retry, a mirror), keeps a copy up to a bound: linkerd2-proxy's ReplayBody
// (linkerd/http/retry/src/replay.rs). A retry replays the copy and then goes on with the live
// bytes; past the bound the copy is dropped, the body keeps streaming, and it is simply not
// retried. The bound is Envoy's per-request buffer limit for retries and shadows, 1 MiB by default
// (router.proto: per_request_buffer_limit_bytes, falling back to the connection buffer limit).
import type { RequestBodyFraming } from '../http1/client-connection.js';
import type { DownstreamStream } from './downstream-stream.js';

export const DEFAULT_REPLAY_LIMIT = 1024 * 1024;

/** Where the body goes: the upstream connection of the attempt in flight. */
export interface BodySink {
  /** False when the sink is full: the source pauses until resumeReading(). */
  data(chunk: Buffer): boolean;
  end(trailers: readonly string[]): void;
}

const NO_BODY: RequestBodyFraming = { kind: 'none' };

export class RequestBody {
  readonly framing: RequestBodyFraming;
  #copy: Buffer[] = [];
  #copied = 0;
  #limit = 0;
  #overflowed = false;
  #complete: boolean;
  #trailers: readonly string[] = [];
  #sink: BodySink | undefined;
  #started = false;
  #onComplete: Array<(copy: Buffer[] | undefined) => void> = [];

  constructor(
    private readonly stream: DownstreamStream,
    private readonly observe?: (chunk: Buffer) => void,
  ) {
    const head = stream.head;
    this.framing = head.chunked ? { kind: 'chunked' } : head.contentLength > 0 ? { kind: 'length', length: head.contentLength } : NO_BODY;
    this.#complete = this.framing.kind === 'none';
  }

  get empty(): boolean {
    return this.framing.kind === 'none';
  }

  /** Keep a copy of up to `limit` bytes for a retry or a mirror (call before the first send). */
  retain(limit: number): void {
    if (!this.#started) this.#limit = Math.max(this.#limit, limit);
  }

  /** The body can be sent again from its first byte. */
  get replayable(): boolean {
    return this.empty || (this.#limit > 0 && !this.#overflowed);
  }

  /**
   * Sends the body to a sink: the copy first (on a retry), then bytes as they arrive. Only one
   * sink at a time; the previous attempt's is dropped.
   */
  sendTo(sink: BodySink): void {
    this.#sink = sink;
    if (this.empty) return;
    if (this.#started) {
      for (const chunk of this.#copy) sink.data(chunk);
      if (this.#complete) sink.end(this.#trailers);
      else this.stream.resume();
      return;
    }
    this.#started = true;
    this.stream.readBody(
      (chunk) => this.#onData(chunk),
      (trailers) => this.#onEnd(trailers),
    );
  }

  /** The attempt's connection is gone: bytes still arriving are only copied (or dropped). */
  detach(): void {
    this.#sink = undefined;
  }

  /** The sink drained: read on. */
  resumeReading(): void {
    this.stream.resume();
  }

  /** Called once the whole body has arrived, with the copy (undefined when it overflowed the bound). */
  whenComplete(callback: (copy: Buffer[] | undefined) => void): void {
    if (this.#complete) callback(this.#overflowed ? undefined : this.#copy);
    else this.#onComplete.push(callback);
  }

  #onData(chunk: Buffer): void {
    this.observe?.(chunk);
    if (this.#limit > 0 && !this.#overflowed) {
      this.#copied += chunk.length;
      if (this.#copied > this.#limit) {
        this.#overflowed = true;
        this.#copy = [];
      } else this.#copy.push(chunk);
    }
    const sink = this.#sink;
    // With no attempt in flight (between retries) only the copy takes bytes; past the bound
    // nobody can, so reading stops until the next attempt.
    if (sink ? !sink.data(chunk) : this.#overflowed || this.#limit === 0) this.stream.pause();
  }

  #onEnd(trailers: string[]): void {
    this.#complete = true;
    this.#trailers = trailers;
    this.#sink?.end(trailers);
    for (const callback of this.#onComplete.splice(0)) callback(this.#overflowed ? undefined : this.#copy);
  }
}
