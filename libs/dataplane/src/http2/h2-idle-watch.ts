// An HTTP/2 connection's idle timeouts on the shared connection clock (http1/connection-clock.ts),
// as HTTP/1.1 connections and tunnels keep theirs, not a timer of its own: a connection with no
// stream open for `idleTimeoutMs` is handed to `onIdle`, and a stream that moved no byte either
// way for `streamIdleTimeoutMs` (by its lastActivity, set from coarseNow()) is reset.
import { ErrorCode } from '../h2codec/frames.js';
import type { H2Session } from '../h2codec/session.js';
import { coarseNow, unwatch, watch, type HasDeadline } from '../http1/connection-clock.js';

export class H2IdleWatch implements HasDeadline {
  deadline: number;
  #idleSince: number;
  readonly #periodMs: number;

  constructor(
    private readonly session: H2Session,
    private readonly idleTimeoutMs: number,
    private readonly onIdle: () => void,
    private readonly streamIdleTimeoutMs = Infinity,
  ) {
    // Looked at a few times per timeout (the clock itself ticks every 250 ms).
    this.#periodMs = Math.min(1000, Math.min(idleTimeoutMs, streamIdleTimeoutMs) / 4);
    watch(this);
    this.#idleSince = coarseNow();
    this.deadline = this.#idleSince + this.#periodMs;
  }

  onDeadline(): void {
    const now = coarseNow();
    const session = this.session;
    if (session.closed) return this.stop();
    if (session.openStreams > 0) this.#idleSince = now;
    else if (now - this.#idleSince >= this.idleTimeoutMs) {
      this.stop();
      return this.onIdle();
    }
    if (this.streamIdleTimeoutMs !== Infinity) {
      for (const stream of session.streams) {
        if (now - stream.lastActivity >= this.streamIdleTimeoutMs) session.resetStream(stream, ErrorCode.CANCEL);
      }
    }
    this.deadline = now + this.#periodMs;
  }

  stop(): void {
    this.deadline = Infinity;
    unwatch(this);
  }
}
