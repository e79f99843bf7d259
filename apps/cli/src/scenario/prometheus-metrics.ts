// A canary's interval figures from Prometheus (--prometheus), for meshes whose sidecars the CLI
// cannot reach itself (compose: they are only reachable inside its network) or where Prometheus
// is the source of truth. The queries are Flagger's (libs/scenarios' canaryQueries).
import { canaryQueries, measurementFromQueries, type CanarySpec, type IntervalMeasurement } from '@skiff/scenarios';
import { getJson, UnreachableError } from '../http-json.js';

interface QueryResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ value: [number, string] }> };
}

/** One instant query; undefined when it returns no series. */
export async function promQuery(prometheus: string, promql: string): Promise<number | undefined> {
  const url = new URL('/api/v1/query', prometheus);
  url.searchParams.set('query', promql);
  let body: QueryResponse;
  try {
    body = await getJson<QueryResponse>(url.toString(), 5000);
  } catch (error) {
    if (error instanceof UnreachableError) throw new Error(`cannot reach Prometheus at ${prometheus} (${error.code}); start it (docker compose --profile observability up, or prometheus --config.file=prometheus.yml) or leave out --prometheus`);
    throw error;
  }
  if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error ?? body.status}`);
  const first = body.data?.result[0];
  return first ? Number(first.value[1]) : undefined;
}

export async function measureFromPrometheus(prometheus: string, spec: CanarySpec, labels: Record<string, string>, intervalMs: number): Promise<IntervalMeasurement> {
  const q = canaryQueries(spec, labels, intervalMs / 1000);
  const [requests, successRate, p99Ms] = await Promise.all([promQuery(prometheus, q.requests), promQuery(prometheus, q.successRate), promQuery(prometheus, q.p99Ms)]);
  return measurementFromQueries({ requests, successRate, p99Ms });
}
