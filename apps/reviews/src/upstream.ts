// Outgoing HTTP for a sample app: one keep-alive pool per process, through the sidecar's
// outbound listener when SKIFF_OUTBOUND_PROXY is set, and a result that is never an exception
// so callers can always answer something useful. (The same file lives in frontend and reviews.)
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';

/**
 * Direct keep-alive pools, or an explicit HTTP proxy (the sidecar). `proxyTunnel: false` makes
 * undici send plain absolute-form requests (`GET http://reviews:9080/reviews/0 HTTP/1.1`,
 * `Host: reviews:9080`) instead of a CONNECT tunnel, so the sidecar sees every request and can
 * route it by host, path and headers.
 */
export function createOutboundDispatcher(outboundProxy?: string): Dispatcher {
  if (outboundProxy === undefined) return new Agent({ keepAliveTimeout: 4_000 });
  return new ProxyAgent({ uri: outboundProxy, proxyTunnel: false, keepAliveTimeout: 4_000 });
}

export type UpstreamResult =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: unknown }
  /** `status` is the upstream's own status, or 502 when it gave no answer, 504 when it was too slow. */
  | { ok: false; status: number; message: string };

const DETAIL_CHARS = 200;

/** GET `url` and parse JSON. A non-2xx answer, a network error or bad JSON gives `ok: false`. */
export async function getJson(dispatcher: Dispatcher, url: string, headers: Record<string, string>, timeoutMs: number): Promise<UpstreamResult> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { dispatcher, headers: { ...headers, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.name === 'TimeoutError') return { ok: false, status: 504, message: `GET ${url} gave no answer within ${timeoutMs} ms` };
    return { ok: false, status: 502, message: `GET ${url} failed: ${e.code ? `${e.code} ` : ''}${e.message}` };
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    const e = err as Error;
    const status = e.name === 'TimeoutError' ? 504 : 502;
    return { ok: false, status, message: `GET ${url} answered ${res.statusCode} but its body broke off: ${e.message}` };
  }
  if (res.statusCode < 200 || res.statusCode > 299) {
    return { ok: false, status: res.statusCode, message: `GET ${url} answered ${res.statusCode}: ${text.slice(0, DETAIL_CHARS)}` };
  }
  try {
    return { ok: true, status: res.statusCode, headers: res.headers, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 502, message: `GET ${url} answered ${res.statusCode} but not with JSON: ${text.slice(0, DETAIL_CHARS)}` };
  }
}
