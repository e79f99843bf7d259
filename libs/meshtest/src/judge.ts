// A case's expectation against what was observed (offline or live): each part that does not
// hold is one failure line saying what was expected and what happened. Splits are judged with
// the exact binomial interval the scenarios use, so a correct mesh passes live with 99.9%
// probability and offline the configured weights must fall inside the same interval.
import { parseDuration } from '@skiff/api';
import { binomialInterval } from '@skiff/scenarios';
import type { Observation, ObservedDestination } from './observation.js';
import { resolveHost } from '@skiff/configgen';
import type { MeshTestCase, MeshTestExpect, MeshTestSuite } from './schema.js';
import { describeRequest, type CaseResult } from './report.js';

export interface CaseVerdict {
  pass: boolean;
  failures: string[];
}

const pct = (part: number, total: number) => (total === 0 ? '0%' : `${+((part * 100) / total).toFixed(1)}%`);

function describeStatuses(obs: Observation): string {
  const parts = Object.entries(obs.statuses)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} for ${pct(n, obs.total)}`);
  return parts.length > 0 ? parts.join(', ') : 'no status the proxies decide';
}

function describeDestinations(dests: readonly ObservedDestination[], total: number): string {
  const live = dests.filter((d) => d.count > 0);
  if (live.length === 0) return 'no destination';
  return live.map((d) => `${d.host}${d.subset ? ` subset ${d.subset}` : ''} (${pct(d.count, total)})`).join(', ');
}

function sameHost(expected: string, observed: string, namespace: string): boolean {
  // Istio's short names, read in `namespace` as configgen reads a VirtualService's hosts.
  const observedNamespace = observed.toLowerCase().split('.')[1];
  return resolveHost(expected, namespace, new Set(observedNamespace ? [observedNamespace] : [])) === observed.toLowerCase();
}

function checkHeaders(kind: 'request' | 'response', want: NonNullable<NonNullable<MeshTestExpect['headers']>['request']>, got: Record<string, string> | undefined, failures: string[]): void {
  const where = kind === 'request' ? 'the request as the destination got it' : 'the response';
  if (!got) {
    failures.push(`headers.${kind}: cannot be judged: ${kind === 'request' ? 'the request went to more than one kind of destination' : 'no response was seen'}`);
    return;
  }
  for (const [name, value] of Object.entries(want.set ?? {})) {
    const actual = got[name.toLowerCase()];
    if (actual !== value) failures.push(`headers.${kind}.set: expected ${name}: ${value} in ${where}, ${actual === undefined ? 'it was not there' : `got ${name}: ${actual}`}`);
  }
  for (const name of want.removed ?? []) {
    const actual = got[name.toLowerCase()];
    if (actual !== undefined) failures.push(`headers.${kind}.removed: expected no ${name} in ${where}, got ${name}: ${actual}`);
  }
}

/** `namespace`: where short hosts in the expectation are read ("reviews" is reviews.<namespace>.svc.cluster.local). */
export function judgeCase(c: MeshTestCase, obs: Observation, namespace: string): CaseVerdict {
  const e = c.expect;
  const callerNamespace = namespace;
  const failures: string[] = [];
  const forwarded = obs.destinations.reduce((a, d) => a + d.count, 0);
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-6 * Math.max(1, b);

  if (e.status !== undefined && !close(obs.statuses[e.status] ?? 0, obs.total)) {
    failures.push(`status: expected ${e.status} for every request, got ${describeStatuses(obs)}`);
  }
  if (e.destination) {
    const want = e.destination;
    const matches = (d: ObservedDestination) => sameHost(want.host, d.host, callerNamespace) && (want.subset === undefined || d.subset === want.subset) && (want.port === undefined || d.port === want.port);
    const wanted = `${want.host}${want.subset ? ` subset ${want.subset}` : ''}${want.port ? ` port ${want.port}` : ''}`;
    if (forwarded === 0) failures.push(`destination: expected ${wanted}, but no request was forwarded (${describeStatuses(obs)})`);
    else if (!obs.destinations.filter((d) => d.count > 0).every(matches)) failures.push(`destination: expected every request to go to ${wanted}, they went to ${describeDestinations(obs.destinations, forwarded)}`);
  }
  if (e.split) {
    const n = Math.round(forwarded);
    const key = (d: ObservedDestination) => Object.keys(e.split ?? {}).find((k) => d.subset === k || sameHost(k, d.host, callerNamespace));
    const stray = obs.destinations.filter((d) => d.count > 0 && key(d) === undefined);
    if (n === 0) failures.push(`split: no request was forwarded (${describeStatuses(obs)})`);
    else if (stray.length > 0) failures.push(`split: requests went to ${describeDestinations(stray, forwarded)}, which the split does not name`);
    else {
      for (const [name, percent] of Object.entries(e.split)) {
        const count = obs.destinations.filter((d) => key(d) === name).reduce((a, d) => a + d.count, 0);
        const { low, high } = binomialInterval(n, percent / 100);
        if (count < low - 1e-9 || count > high + 1e-9) failures.push(`split: expected ${percent}% to ${name} (${low}..${high} of ${n} at 99.9%), got ${+count.toFixed(1)} (${pct(count, n)})`);
      }
    }
  }
  if (e.route !== undefined && obs.route?.name !== e.route && obs.route?.fullName !== e.route) {
    failures.push(`route: expected the route named "${e.route}", ${obs.route ? `matched ${obs.route.name ? `"${obs.route.name}" (${obs.route.fullName})` : obs.route.fullName}` : 'no route matched'}`);
  }
  if (e.headers?.request) checkHeaders('request', e.headers.request, obs.upstreamHeaders, failures);
  if (e.headers?.response) checkHeaders('response', e.headers.response, obs.responseHeaders, failures);
  if (e.mirror) {
    const m = obs.mirror;
    const want = `${e.mirror.host}${e.mirror.subset ? ` subset ${e.mirror.subset}` : ''}${e.mirror.percent !== undefined ? ` at ${e.mirror.percent}%` : ''}`;
    if (!m) failures.push(`mirror: expected requests mirrored to ${want}, the route mirrors nothing`);
    else if (!sameHost(e.mirror.host, m.host, callerNamespace) || (e.mirror.subset !== undefined && m.subset !== e.mirror.subset) || (e.mirror.percent !== undefined && m.percent !== e.mirror.percent)) {
      failures.push(`mirror: expected ${want}, the route mirrors to ${m.host}${m.subset ? ` subset ${m.subset}` : ''} at ${m.percent}%`);
    }
  }
  if (e.fault) {
    const f = obs.fault;
    if (e.fault.delay) {
      const want = e.fault.delay;
      const got = f?.delay;
      const wantMs = want.fixedDelay !== undefined ? parseDuration(want.fixedDelay) : undefined;
      if (!got) failures.push('fault.delay: expected a delay, the route injects none');
      else if ((wantMs !== undefined && got.fixedDelayMs !== wantMs) || (want.percent !== undefined && got.percent !== want.percent)) failures.push(`fault.delay: expected ${want.fixedDelay ?? 'a delay'}${want.percent !== undefined ? ` for ${want.percent}%` : ''}, the route delays ${got.fixedDelayMs} ms for ${got.percent}%`);
    }
    if (e.fault.abort) {
      const want = e.fault.abort;
      const got = f?.abort;
      if (!got) failures.push('fault.abort: expected an abort, the route injects none');
      else if ((want.httpStatus !== undefined && got.httpStatus !== want.httpStatus) || (want.grpcStatus !== undefined && got.grpcStatus !== want.grpcStatus) || (want.percent !== undefined && got.percent !== want.percent)) {
        failures.push(`fault.abort: expected ${JSON.stringify(want)}, the route aborts with ${got.grpcStatus !== undefined ? `grpc-status ${got.grpcStatus}` : got.httpStatus} for ${got.percent}%`);
      }
    }
  }
  if (e.retries) {
    const r = obs.retries;
    const want = e.retries;
    const wantOn = want.retryOn?.split(',').map((s) => s.trim()).filter(Boolean).sort().join(',');
    const gotOn = r ? [...r.retryOn].sort().join(',') : undefined;
    const perTry = want.perTryTimeout !== undefined ? parseDuration(want.perTryTimeout) : undefined;
    if (!r) failures.push('retries: expected a retry policy, the route has none');
    else if ((want.attempts !== undefined && r.attempts !== want.attempts) || (perTry !== undefined && r.perTryTimeoutMs !== perTry) || (wantOn !== undefined && gotOn !== wantOn)) {
      failures.push(`retries: expected ${JSON.stringify(want)}, the route retries ${r.attempts} times${r.perTryTimeoutMs !== undefined ? `, ${r.perTryTimeoutMs} ms per try` : ''} on ${r.retryOn.join(',')}`);
    }
  }
  if (e.timeout !== undefined) {
    const want = parseDuration(e.timeout);
    if (obs.timeoutMs === undefined) failures.push(`timeout: expected ${e.timeout}, no route matched`);
    else if (obs.timeoutMs !== want) failures.push(`timeout: expected ${e.timeout}, the route's timeout is ${obs.timeoutMs === 0 ? 'none' : `${obs.timeoutMs} ms`}`);
  }
  return { pass: failures.length === 0, failures };
}

/** One case's result, from what was observed (or the error that kept it from being asked). */
export function caseResult(suite: MeshTestSuite, c: MeshTestCase, mode: CaseResult['mode'], observed: Observation | Error, durationMs: number): CaseResult {
  const base = { suite: suite.name, file: suite.file, name: c.name, mode, request: describeRequest(c.request), durationMs };
  if (observed instanceof Error) return { ...base, outcome: 'error', failures: [observed.message], why: [], notes: [] };
  const verdict = judgeCase(c, observed, suite.namespace);
  return { ...base, outcome: verdict.pass ? 'pass' : 'fail', failures: verdict.failures, why: observed.why, notes: observed.notes };
}
