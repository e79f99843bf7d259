// gRPC's deadline header (PROTOCOL-HTTP2.md: grpc-timeout = 1*8DIGIT unit, unit one of H M S m u n).
// Istio lets it set a gRPC request's timeout, capped by the route's (route.go, setTimeout:
// max_grpc_timeout is the route's timeout, or unlimited when the route has none).

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** The header's value in ms, or undefined when absent or malformed (then it is ignored, as Envoy does). */
export function grpcTimeoutMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value.length < 2 || value.length > 9) return undefined;
  const scale = UNIT_MS[value.charAt(value.length - 1)];
  const digits = value.slice(0, -1);
  if (scale === undefined || !/^[0-9]+$/.test(digits)) return undefined;
  return Math.ceil(Number(digits) * scale);
}

/** The timeout a request runs under: the route's, lowered by a gRPC client's deadline. */
export function effectiveTimeoutMs(routeTimeoutMs: number | undefined, grpcDeadlineMs: number | undefined): number | undefined {
  const route = routeTimeoutMs !== undefined && routeTimeoutMs > 0 ? routeTimeoutMs : undefined;
  if (grpcDeadlineMs === undefined) return route;
  return route === undefined ? grpcDeadlineMs : Math.min(route, grpcDeadlineMs);
}
