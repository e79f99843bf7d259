// Envoy's retry conditions (x-envoy-retry-on), as Istio's `retries.retryOn` passes them through.
// https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter
import { GRPC_STATUS, type RetryPolicy } from '@skiff/api';

export interface AttemptOutcome {
  /** Upstream status when a response arrived. */
  status?: number;
  /** A gRPC status in the response head (a trailers-only answer): what gRPC retry conditions read. */
  grpcStatus?: number;
  /** The connection could not be made (refused, connect timeout). Nothing was sent. */
  connectFailure?: boolean;
  /** The connection broke before a response (reset, closed). */
  reset?: boolean;
  /** HTTP/2 REFUSED_STREAM: the upstream did not process the request. */
  refusedStream?: boolean;
  /** This attempt's per-try timeout fired. */
  perTryTimeout?: boolean;
  /**
   * The request could not be sent as the client gave it (the HTTP client refused one of its
   * headers). The client's fault: never retried, never charged to the upstream's outlier record.
   */
  invalidRequest?: boolean;
}

const GRPC_RETRY_ON: Record<string, number> = {
  cancelled: GRPC_STATUS.CANCELLED,
  'deadline-exceeded': GRPC_STATUS.DEADLINE_EXCEEDED,
  internal: GRPC_STATUS.INTERNAL,
  'resource-exhausted': GRPC_STATUS.RESOURCE_EXHAUSTED,
  unavailable: GRPC_STATUS.UNAVAILABLE,
};

export function isRetriable(policy: RetryPolicy | undefined, outcome: AttemptOutcome): boolean {
  if (!policy || policy.attempts <= 0) return false;
  const { status } = outcome;
  // Envoy counts every upstream reset (a failed connection, a reset or refused stream) as what
  // 5xx, gateway-error and reset retry (router/retry_state_impl.cc, wouldRetryFromReset).
  const anyReset = outcome.connectFailure === true || outcome.reset === true || outcome.refusedStream === true;
  for (const condition of policy.retryOn) {
    switch (condition) {
      case '5xx':
        if ((status !== undefined && status >= 500) || anyReset || outcome.perTryTimeout) return true;
        break;
      case 'gateway-error':
        if (status === 502 || status === 503 || status === 504 || anyReset || outcome.perTryTimeout) return true;
        break;
      case 'connect-failure':
        if (outcome.connectFailure) return true;
        break;
      case 'reset':
        if (anyReset) return true;
        break;
      case 'retriable-4xx':
        if (status === 409) return true;
        break;
      case 'retriable-status-codes':
        if (status !== undefined && policy.retriableStatusCodes.includes(status)) return true;
        break;
      case 'refused-stream':
        // HTTP/2 REFUSED_STREAM; over HTTP/1.1 the closest equivalent is a refused connection.
        if (outcome.refusedStream || outcome.connectFailure) return true;
        break;
      default: {
        // Envoy's x-envoy-retry-grpc-on conditions, read from a grpc-status in the response head.
        const code = GRPC_RETRY_ON[condition];
        if (code !== undefined && outcome.grpcStatus === code) return true;
        break;
      }
    }
  }
  return false;
}

/** Envoy's default back-off: base 25 ms, capped at 10× base, fully jittered. */
export function retryBackoffMs(retryIndex: number, random: () => number, baseMs = 25): number {
  const ceiling = Math.min(baseMs * 10, baseMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}
