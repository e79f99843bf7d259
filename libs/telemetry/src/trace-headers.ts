// The headers Istio asks every application to copy from its incoming request to each outgoing
// call (https://istio.io/latest/docs/tasks/observability/distributed-tracing/overview/).
// The sidecar cannot do it: it does not know which outgoing call belongs to which incoming
// request, so without this the trace breaks at every app. `end-user` rides along so that
// routing on the user's identity (A/B tests) keeps working deeper in the call graph.

/** Exact header names (lower case) copied from an incoming request to every outgoing call. */
export const PROPAGATED_HEADERS: readonly string[] = [
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'uber-trace-id',
  'baggage',
  'x-ot-span-context',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'end-user',
];

/** Header name prefixes (lower case) copied as well: Jaeger's baggage items are `uberctx-<key>`. */
export const PROPAGATED_HEADER_PREFIXES: readonly string[] = ['uberctx-'];

const exact = new Set(PROPAGATED_HEADERS);

export function isPropagatedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return exact.has(lower) || PROPAGATED_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * The propagated subset of `incoming` (e.g. node's `req.headers`), keys in lower case.
 * A header that arrived more than once as an array is joined with ", " (a list in HTTP terms).
 */
export function pickPropagatedHeaders(
  incoming: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(incoming)) {
    if (!isPropagatedHeader(name)) continue;
    const value = incoming[name];
    if (value === undefined) continue;
    picked[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  return picked;
}
