// Who is asking, for A/B routing on the `end-user` header (Istio's Bookinfo routes "jason" to
// reviews v2). In order: an incoming end-user header (set by a gateway or a test), the `user`
// cookie (set by /login), the `?user=` query.
import type { Request } from 'express';

export const USER_COOKIE = 'user';

// Plain names only: the value goes into a header and a page, and routing rules match it exactly.
const USER_PATTERN = /^[A-Za-z0-9._@+-]{1,64}$/;

export function isValidUser(user: string): boolean {
  return USER_PATTERN.test(user);
}

/** The user, or undefined when unknown (an invalid value counts as unknown). */
export function resolveUser(req: Request): string | undefined {
  return resolveUserOf(req.headers, req.query.user);
}

/** resolveUser for a request express did not parse (a WebSocket upgrade): headers and the `user` query value. */
export function resolveUserOf(headers: Request['headers'], queryUser: unknown): string | undefined {
  const candidates = [headers['end-user'], cookieValue(headers.cookie, USER_COOKIE), queryUser];
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate !== '') return isValidUser(candidate) ? candidate : undefined;
  }
  return undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
