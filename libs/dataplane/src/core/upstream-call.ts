// One attempt at an upstream: send the request, wait for the response head, and hand it back
// unread, so the router can still decide to retry (and drop this answer) or relay it.
import type { Dispatcher } from 'undici';
import type { IncomingMessage } from 'node:http';
import type { HeaderMap } from './hop-by-hop.js';
import type { AttemptOutcome } from './steps/retry-policy.js';
import type { AbortLatch } from './abort-latch.js';
import { INVALID_REQUEST } from './errors.js';

export type AttemptResult =
  | { kind: 'response'; response: Dispatcher.ResponseData }
  | { kind: 'error'; outcome: AttemptOutcome; code: string; message: string };

export interface AttemptRequest {
  method: string;
  path: string;
  headers: HeaderMap;
  body: Buffer | IncomingMessage | null;
  /** An AbortSignal, or anything undici takes as one (an EventEmitter with `aborted`). */
  signal: AbortSignal | AbortLatch;
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export async function callUpstream(dispatcher: Dispatcher, request: AttemptRequest): Promise<AttemptResult> {
  try {
    const response = await dispatcher.request({
      method: request.method as Dispatcher.HttpMethod,
      path: request.path,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
    return { kind: 'response', response };
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).name ?? 'ERROR';
    const message = error instanceof Error ? error.message : String(error);
    if (CONNECT_FAILURES.has(code)) return { kind: 'error', outcome: { connectFailure: true }, code, message };
    if (INVALID_REQUEST.has(code)) return { kind: 'error', outcome: { invalidRequest: true }, code, message };
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return { kind: 'error', outcome: { perTryTimeout: true }, code, message };
    return { kind: 'error', outcome: { reset: true }, code, message };
  }
}
