// Metrics, access log and traces as one observer: the request's event is built once, when the
// exchange is over, from what the filters learned on the way.
import type { HttpExchange } from '../http-exchange.js';
import type { HttpFilter } from '../http-filter.js';
import { traceHeadersOf, type RequestEvent, type RequestObserver } from '../../core/request-event.js';

export function observeFilter(reporter: RequestEvent['reporter'], observer: RequestObserver | undefined, tracing: boolean): HttpFilter | undefined {
  if (!observer && !tracing) return undefined;
  return {
    name: 'observe',
    onComplete(x) {
      const event = eventOf(reporter, x);
      observer?.(event);
      x.span?.end(event);
    },
  };
}

export function eventOf(reporter: RequestEvent['reporter'], x: HttpExchange): RequestEvent {
  const userAgent = x.received['user-agent'];
  const forwardedFor = x.received['x-forwarded-for'];
  const requestId = x.headers['x-request-id'];
  return {
    reporter,
    startTime: x.startTime,
    durationMs: performance.now() - x.t0,
    method: x.head.method,
    path: x.requested.path,
    authority: x.requested.authority,
    protocol: x.grpc ? 'grpc' : 'http',
    httpVersion: x.stream.protocol,
    ...(x.grpc ? { grpcStatus: x.grpcStatus, requestMessages: x.requestMessages?.messages ?? 0, responseMessages: x.responseMessages?.messages ?? 0 } : {}),
    requestId: typeof requestId === 'string' ? requestId : '',
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    responseCode: x.status,
    responseFlags: x.delayInjected ? (x.flag === '-' ? 'DI' : `DI,${x.flag}`) : x.flag,
    requestBytes: x.stream.bytesReceived,
    responseBytes: x.stream.bytesSent,
    route: x.route,
    upstreamCluster: x.upstreamCluster,
    upstreamHost: x.upstreamHost,
    upstreamServiceTimeMs: x.upstreamServiceTimeMs,
    xForwardedFor: typeof forwardedFor === 'string' ? forwardedFor : undefined,
    source: x.source,
    destination: x.destination,
    connectionSecurityPolicy: x.mtls ? 'mutual_tls' : 'none',
    traceHeaders: traceHeadersOf(x.received),
  };
}
