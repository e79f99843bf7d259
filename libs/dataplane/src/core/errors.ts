// Envoy's local replies, so a user who knows Envoy recognises what happened from the body and
// the response flag (UH no healthy upstream, UF upstream connection failure, NR no route,
// UT upstream timeout, DC downstream disconnect).
import { GRPC_STATUS } from '@skiff/api';

export interface LocalReply {
  status: number;
  body: string;
  flag: string;
  /** For a gRPC request: the grpc-status to answer with, where Envoy names one (else mapped from status). */
  grpcStatus?: number;
}

export const noRoute = (authority: string): LocalReply => ({ status: 404, body: `no route for host "${authority}"\n`, flag: 'NR' });
export const noHealthyUpstream = (cluster: string): LocalReply => ({ status: 503, body: `no healthy upstream (cluster ${cluster})\n`, flag: 'UH' });
export const upstreamConnectFailure = (reason: string): LocalReply => ({
  status: 503,
  body: `upstream connect error or disconnect/reset before headers. reset reason: ${reason}\n`,
  flag: 'UF',
});
// A gRPC request that timed out is told DEADLINE_EXCEEDED, not the UNAVAILABLE a 504 maps to
// (envoyproxy/envoy#44479, runtime guard grpc_timeout_returns_deadline_exceeded).
export const upstreamTimeout = (): LocalReply => ({ status: 504, body: 'upstream request timeout\n', flag: 'UT', grpcStatus: GRPC_STATUS.DEADLINE_EXCEEDED });
export const badRequest = (why: string): LocalReply => ({ status: 400, body: `bad request: ${why}\n`, flag: 'DPE' });
export const forwardingLoop = (authority: string): LocalReply => ({
  status: 508,
  body: `forwarding loop: a request for "${authority}" came back to this proxy; "${authority}" is the proxy's own address, not a service. Address the service by its name instead\n`,
  flag: 'NR',
});
/** An Upgrade the listener does not allow (Envoy: 403, details upgrade_failed), or a malformed one (400). */
export const upgradeRefused = (status: 400 | 403, why: string): LocalReply => ({ status, body: `upgrade refused: ${why}\n`, flag: status === 400 ? 'DPE' : '-' });
/** CONNECT on a listener that does not tunnel (Envoy answers CONNECT it is not configured for with 403). */
export const connectRefused = (): LocalReply => ({ status: 403, body: 'CONNECT is served by the sidecar\'s outbound listener only\n', flag: '-' });
export const notReady = (): LocalReply => ({ status: 503, body: 'proxy has no configuration yet (control plane not reached)\n', flag: 'NC' });

export const faultAbort = (status: number, grpcStatus?: number): LocalReply => ({ status, body: 'fault filter abort', flag: 'FI', ...(grpcStatus === undefined ? {} : { grpcStatus }) });
export const overflow = (): LocalReply => ({ status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow', flag: 'UO' });
export const clusterNotFound = (cluster: string): LocalReply => ({ status: 503, body: `cluster not found: ${cluster}\n`, flag: 'NC' });
export const upstreamReset = (reason: string): LocalReply => ({
  status: 503,
  body: `upstream connect error or disconnect/reset before headers. reset reason: ${reason}\n`,
  flag: 'UF',
});
