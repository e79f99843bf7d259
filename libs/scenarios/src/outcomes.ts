// How an answer is named in a probe's counts, so that expectations read like what a learner sees:
// "v2", "v2, ratings 500" (reviews v2 answered without stars), "HTTP 502, reviews 504" (the page
// failed because reviews did), "HTTP 503", "HTTP 500 from v2", "no HTTP answer".

/** A product page (frontend's /api/product/:id JSON) by its status and body. */
export function pageOutcome(status: number, body: string): string {
  let json: { reviewsVersion?: unknown; reviews?: { version?: unknown; ratingsError?: { status?: unknown } }; upstream?: { service?: unknown; status?: unknown } };
  try {
    json = JSON.parse(body) as typeof json;
  } catch {
    return status === 200 ? 'not JSON' : `HTTP ${status}`;
  }
  if (status !== 200) {
    const upstream = json?.upstream;
    return typeof upstream?.service === 'string' && typeof upstream.status === 'number' ? `HTTP ${status}, ${upstream.service} ${upstream.status}` : `HTTP ${status}`;
  }
  const version = json?.reviews?.version ?? json?.reviewsVersion;
  if (typeof version !== 'string') return 'no version';
  const ratings = json?.reviews?.ratingsError?.status;
  return typeof ratings === 'number' ? `${version}, ratings ${ratings}` : version;
}

/** A call to a service: the version that served it (x-skiff-version), or the status and who gave it. */
export function callOutcome(status: number, version: string | undefined): string {
  if (version === undefined) return `HTTP ${status}`;
  return status === 200 ? version : `HTTP ${status} from ${version}`;
}

/** A request that got no HTTP answer: timed out, or the connection was refused or closed. */
export function failedCallOutcome(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'no HTTP answer';
}
