import { randomUUID } from 'node:crypto';

/** Envoy gives every request an x-request-id if the caller did not; apps propagate it. */
export function ensureRequestId(headers: Record<string, string | string[]>): string {
  const existing = headers['x-request-id'];
  if (typeof existing === 'string' && existing.length > 0) return existing;
  const id = randomUUID();
  headers['x-request-id'] = id;
  return id;
}
