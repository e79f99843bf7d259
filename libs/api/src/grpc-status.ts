// gRPC status codes by the names Istio's API takes (HTTPFaultInjection.Abort.grpcStatus is a
// name, e.g. "UNAVAILABLE"), and the mapping Envoy uses when it must answer a gRPC request with an
// HTTP status of its own (source/common/grpc/status.cc, Utility::httpToGrpcStatus, after the
// gRPC project's doc/http-grpc-status-mapping.md).
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusName = keyof typeof GRPC_STATUS;

export const GRPC_STATUS_NAMES = Object.keys(GRPC_STATUS) as GrpcStatusName[];

export function grpcStatusOfName(name: string): number | undefined {
  return Object.hasOwn(GRPC_STATUS, name) ? GRPC_STATUS[name as GrpcStatusName] : undefined;
}

/** The gRPC status a proxy's own HTTP answer stands for. */
export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GRPC_STATUS.INTERNAL;
    case 401:
      return GRPC_STATUS.UNAUTHENTICATED;
    case 403:
      return GRPC_STATUS.PERMISSION_DENIED;
    case 404:
      return GRPC_STATUS.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS.UNAVAILABLE;
    default:
      return GRPC_STATUS.UNKNOWN;
  }
}

/** The HTTP status a gRPC status counts as, for outlier detection (Envoy's Utility::grpcToHttpStatus). */
export function grpcToHttpStatus(grpcStatus: number): number {
  return GRPC_TO_HTTP[grpcStatus] ?? 500;
}

const GRPC_TO_HTTP: readonly number[] = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];
