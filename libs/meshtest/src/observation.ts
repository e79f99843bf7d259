// What happened to a case's request, whether worked out offline from the proxies' own code or
// seen live in the running mesh: one shape, so one judge compares either with the expectation.

export interface ObservedDestination {
  /** "outbound|9080|v2|reviews.default.svc.cluster.local". */
  cluster: string;
  host: string;
  subset?: string;
  port: number;
  /** Requests that went there, of the case's total. */
  count: number;
}

export interface Observation {
  /** The calling proxy: short hosts in expectations are read in its namespace, as Istio reads them. */
  caller: { id: string; namespace: string };
  /** Requests sent (or worked out). */
  total: number;
  /** Status -> requests answered with it. Offline, a request the app would answer counts as 200. */
  statuses: Record<number, number>;
  /** Where requests were forwarded, by cluster. */
  destinations: ObservedDestination[];
  /** The matched route: its name as configured (http[].name) and Skiff's full name. */
  route?: { name?: string; fullName: string };
  /** Headers of the request as the destination's app got it (offline: the route's operations applied). */
  upstreamHeaders?: Record<string, string>;
  /** Headers of the response the caller got (offline: only what the route sets). */
  responseHeaders?: Record<string, string>;
  mirror?: { host: string; subset?: string; percent: number };
  fault?: { delay?: { fixedDelayMs: number; percent: number }; abort?: { httpStatus: number; grpcStatus?: number; percent: number } };
  retries?: { attempts: number; perTryTimeoutMs?: number; retryOn: string[] };
  /** The route's timeout in ms; 0: none. */
  timeoutMs?: number;
  /** Why, in the words `skiff simulate` uses: route decision, policy verdicts. */
  why: string[];
  /** Set when some expectation cannot be observed this way (offline: the app's own answer). */
  notes: string[];
}

/** "outbound|9080|v2|reviews.default.svc.cluster.local" -> its parts. */
export function parseClusterName(cluster: string): { port: number; subset?: string; host: string } {
  const [, port = '0', subset = '', host = cluster] = cluster.split('|');
  return { port: Number(port), host, ...(subset ? { subset } : {}) };
}
