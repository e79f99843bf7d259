// An upgraded connection (a WebSocket after 101) is a byte tunnel between the client's socket and
// the upstream's: bytes move as they come, each way paced by the other side's reading (pipe's
// backpressure), a half-close on one side is passed on to the other (the other direction keeps
// flowing until it closes too), a reset on either side resets both, and no byte either way for
// the idle timeout closes both (Envoy's stream idle timeout for an upgraded stream).
import type { Socket } from 'node:net';
import { coarseNow, unwatch, watch, type HasDeadline } from '../http1/connection-clock.js';

export interface TunnelEnd {
  socket: Socket;
  /** Bytes that came on this socket after the head, before the tunnel took it over: sent on first. */
  pending: Buffer;
}

export type TunnelEnding = 'closed' | 'downstream reset' | 'upstream reset' | 'idle timeout';

/** How a tunnel ended, as Envoy's response flags say it (SI: stream idle timeout). */
export const TUNNEL_FLAGS: Readonly<Record<TunnelEnding, string>> = { closed: '-', 'downstream reset': 'DC', 'upstream reset': 'UC', 'idle timeout': 'SI' };

export interface TunnelResult {
  /** Downstream to upstream, pending bytes included. */
  bytesUp: number;
  /** Upstream to downstream. */
  bytesDown: number;
  ending: TunnelEnding;
}

export class Tunnel implements HasDeadline {
  deadline: number;
  bytesUp = 0;
  bytesDown = 0;
  #ending: TunnelEnding | undefined;
  #open = 2;
  readonly #idleTimeoutMs: number;

  constructor(
    readonly downstream: TunnelEnd,
    readonly upstream: TunnelEnd,
    idleTimeoutMs: number,
    private readonly onDone: (result: TunnelResult) => void,
  ) {
    this.#idleTimeoutMs = idleTimeoutMs;
    this.deadline = Number.isFinite(idleTimeoutMs) && idleTimeoutMs > 0 ? Date.now() + idleTimeoutMs : Infinity;
    const down = downstream.socket;
    const up = upstream.socket;
    if (downstream.pending.length > 0) {
      this.bytesUp += downstream.pending.length;
      up.write(downstream.pending);
    }
    if (upstream.pending.length > 0) {
      this.bytesDown += upstream.pending.length;
      down.write(upstream.pending);
    }
    this.#join(down, up, 'downstream reset', (n) => (this.bytesUp += n));
    this.#join(up, down, 'upstream reset', (n) => (this.bytesDown += n));
    if (this.deadline !== Infinity) watch(this);
  }

  /** Bytes read from `from` go to `to`; its end half-closes `to`; its reset resets `to`. */
  #join(from: Socket, to: Socket, reset: TunnelEnding, count: (n: number) => void): void {
    // A half-close is passed on rather than answered with our own (node's default for a socket).
    from.allowHalfOpen = true;
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      this.#touch();
    });
    from.pipe(to);
    let ended = false;
    from.once('end', () => (ended = true));
    from.on('error', () => undefined); // 'close' follows
    from.once('close', () => {
      this.#open--;
      // Closed before its peer finished sending, or without a clean end of its own: a reset.
      if (!ended || !from.writableFinished) {
        this.#ending ??= reset;
        to.destroy();
      }
      if (this.#open === 0) this.#finish();
    });
    from.resume();
  }

  #touch(): void {
    if (this.deadline !== Infinity) this.deadline = coarseNow() + this.#idleTimeoutMs;
  }

  /** @internal the clock's sweep: nothing moved for the idle timeout. */
  onDeadline(): void {
    this.#ending ??= 'idle timeout';
    this.downstream.socket.destroy();
    this.upstream.socket.destroy();
  }

  /** Closes both sides now (the proxy is shutting down). */
  destroy(): void {
    this.downstream.socket.destroy();
    this.upstream.socket.destroy();
  }

  #finish(): void {
    unwatch(this);
    this.onDone({ bytesUp: this.bytesUp, bytesDown: this.bytesDown, ending: this.#ending ?? 'closed' });
  }
}
