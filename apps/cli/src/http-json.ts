// GET a JSON debug endpoint (control plane or proxy admin). A process that is not listening is
// the common case for a CLI (the mesh is not started), so it gets its own error type and the
// caller can say what to do instead of printing "fetch failed".

export class UnreachableError extends Error {
  override name = 'UnreachableError';
  constructor(
    readonly url: string,
    /** ECONNREFUSED, ETIMEDOUT, ENOTFOUND, ... */
    readonly code: string,
  ) {
    super(`cannot reach ${url} (${code})`);
  }
}

export async function getJson<T = unknown>(url: string, timeoutMs = 3000): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new UnreachableError(url, errorCode(error, timeoutMs));
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered HTTP ${res.status}: ${text.trim().slice(0, 300)}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`GET ${url} did not answer JSON (got ${JSON.stringify(text.slice(0, 80))}); is that the right port?`);
  }
}

function errorCode(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
