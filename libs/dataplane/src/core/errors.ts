// Envoy's local replies, so a user who knows Envoy recognises what happened from the body and
// the response flag (UH no healthy upstream, UF upstream connection failure, NR no route,
// UT upstream timeout, DC downstream disconnect).
export interface LocalReply {
  status: number;
  body: string;
  flag: string;
}

export const noRoute = (authority: string): LocalReply => ({ status: 404, body: `no route for host "${authority}"\n`, flag: 'NR' });
export const noHealthyUpstream = (cluster: string): LocalReply => ({ status: 503, body: `no healthy upstream (cluster ${cluster})\n`, flag: 'UH' });
export const upstreamConnectFailure = (reason: string): LocalReply => ({
  status: 503,
  body: `upstream connect error or disconnect/reset before headers. reset reason: ${reason}\n`,
  flag: 'UF',
});
export const upstreamTimeout = (): LocalReply => ({ status: 504, body: 'upstream request timeout\n', flag: 'UT' });
export const badRequest = (why: string): LocalReply => ({ status: 400, body: `bad request: ${why}\n`, flag: 'DPE' });
export const forwardingLoop = (authority: string): LocalReply => ({
  status: 508,
  body: `forwarding loop: a request for "${authority}" came back to this proxy; "${authority}" is the proxy's own address, not a service. Address the service by its name instead\n`,
  flag: 'NR',
});
export const notReady = (): LocalReply => ({ status: 503, body: 'proxy has no configuration yet (control plane not reached)\n', flag: 'NC' });

/** undici's refusals of the request itself, before anything is sent: nothing the upstream did. */
export const INVALID_REQUEST = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/** Classifies an undici error as Envoy would report it. */
export function classifyUpstreamError(error: unknown): LocalReply {
  const code = (error as { code?: string })?.code ?? '';
  // undici refused the request as the client gave it: a bad request, not an upstream failure.
  if (INVALID_REQUEST.has(code)) return badRequest((error as Error).message ?? code);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return upstreamTimeout();
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    return upstreamConnectFailure('connection failure');
  }
  return upstreamConnectFailure(code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' ? 'connection termination' : `${code || 'error'}`);
}
export const faultAbort = (status: number): LocalReply => ({ status, body: 'fault filter abort', flag: 'FI' });
export const overflow = (): LocalReply => ({ status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow', flag: 'UO' });
export const clusterNotFound = (cluster: string): LocalReply => ({ status: 503, body: `cluster not found: ${cluster}\n`, flag: 'NC' });
export const upstreamReset = (reason: string): LocalReply => ({
  status: 503,
  body: `upstream connect error or disconnect/reset before headers. reset reason: ${reason}\n`,
  flag: 'UF',
});
