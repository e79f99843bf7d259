// Envoy's circuit breakers for one cluster, as DestinationRule connectionPool sets them. Over
// HTTP/1.1 a connection carries one request at a time, so at most maxConnections requests are in
// service and up to maxPendingRequests more may wait for a connection; maxRequests caps both
// together. A request beyond that is refused at once: the router answers 503 with response flag
// UO ("upstream overflow") and `x-envoy-overloaded: true`, and nothing is sent upstream.
//
// This is the admission count only. The waiting itself happens in the connection pool, which
// queues requests while all its connections are busy. Note Envoy's limits are per cluster (all
// hosts together), even though Istio's reference describes maxConnections "to a destination host".
import type { ConnectionPoolPolicy } from './traffic-policy.js';

export type CircuitBreakerLimits = Pick<ConnectionPoolPolicy, 'maxConnections' | 'maxPendingRequests' | 'maxRequests' | 'maxRetries'>;

export interface CircuitBreakerStats {
  /** Requests in service (holding a connection). */
  active: number;
  /** Admitted requests waiting for a connection. */
  pending: number;
  /** Requests refused (Envoy's upstream_rq_pending_overflow). */
  overflows: number;
  activeRetries: number;
  /** Retries refused (Envoy's upstream_rq_retry_overflow). */
  retryOverflows: number;
  /** How many more requests would be admitted now (Envoy's remaining_rq; Infinity when unlimited). */
  remainingRequests: number;
}

export class CircuitBreaker {
  overflows = 0;
  retryOverflows = 0;
  connectionOverflows = 0;
  #tcpConnections = 0;
  #outstanding = 0;
  #retries = 0;
  /** Admission limit: in service plus waiting, capped by maxRequests. */
  readonly #capacity: number;

  constructor(readonly limits: CircuitBreakerLimits) {
    this.#capacity = Math.min(limits.maxRequests, limits.maxConnections + limits.maxPendingRequests);
  }

  /** Admits one request, or counts an overflow and returns false. Pair every true with release(). */
  tryAcquire(): boolean {
    if (this.#outstanding >= this.#capacity) {
      this.overflows++;
      return false;
    }
    this.#outstanding++;
    return true;
  }

  /** The request admitted by tryAcquire has finished (answered, failed or abandoned). */
  release(): void {
    if (this.#outstanding > 0) this.#outstanding--;
  }

  /** Admits one retry against maxRetries; a refused retry means the last failure is returned as is. */
  tryAcquireRetry(): boolean {
    if (this.#retries >= this.limits.maxRetries) {
      this.retryOverflows++;
      return false;
    }
    this.#retries++;
    return true;
  }

  releaseRetry(): void {
    if (this.#retries > 0) this.#retries--;
  }

  /** Opens one proxied TCP connection against maxConnections (Envoy's upstream_cx_overflow: UO). Pair every true with closeConnection(). */
  tryOpenConnection(): boolean {
    if (this.#tcpConnections >= this.limits.maxConnections) {
      this.connectionOverflows++;
      return false;
    }
    this.#tcpConnections++;
    return true;
  }

  closeConnection(): void {
    if (this.#tcpConnections > 0) this.#tcpConnections--;
  }

  get active(): number {
    return Math.min(this.#outstanding, this.limits.maxConnections);
  }

  get pending(): number {
    return this.#outstanding - this.active;
  }

  get stats(): CircuitBreakerStats {
    return {
      active: this.active,
      pending: this.pending,
      overflows: this.overflows,
      activeRetries: this.#retries,
      retryOverflows: this.retryOverflows,
      remainingRequests: this.#capacity - this.#outstanding,
    };
  }
}
