// `skiff test --live`: each case's requests sent through the running mesh, as the calling
// workload's app would send them (to its sidecar's outbound listener, or to the gateway's
// listener), and judged on what really happened: the status and headers of each answer, and
// where the requests went, from the caller's proxy's own Istio metrics (each forwarded request
// counted by destination workload). Traces would name each request's cluster, but the control
// plane keeps only 20 new traces a second. Route, fault, retries, timeout and mirror are read
// from the config the caller's proxy really has (the control plane's snapshot for it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import { ProxySnapshotSchema, serviceFqdn, type ProxySnapshot, type WorkloadInfo } from '@skiff/api';
import { meshStateDir, readMeshInfo } from '@skiff/launcher';
import { caseResult, CaseEvaluator, findWorkload, parseRequest, type CaseResult, type MeshTestCase, type MeshTestSuite, type Observation } from '@skiff/meshtest';
import { getJson } from '../http-json.js';
import { controlPlaneUrlFlag, localControlPlaneUrl } from '../local-mesh.js';

export interface LiveTarget {
  offset: number;
  controlPlane?: string;
  meshTokenFile?: string;
}

/** Requests of one case in flight at once. */
const CONCURRENCY = 16;

interface Sent {
  status?: number;
  headers?: Record<string, string>;
  error?: string;
}

function controlPlaneOf(target: LiveTarget): { url: string; meshTokenFile: string } {
  const stateDir = meshStateDir(target.offset);
  const mesh = readMeshInfo(stateDir);
  const known = mesh instanceof Error ? undefined : mesh;
  return {
    url: target.controlPlane ? controlPlaneUrlFlag(target.controlPlane) : (known?.monitoring ?? localControlPlaneUrl(target.offset)),
    meshTokenFile: target.meshTokenFile ?? known?.meshTokenFile ?? join(stateDir, 'mesh-token'),
  };
}

/**
 * A token for a case's `jwt` claims, signed by the control plane's test issuer (iss
 * skiff-test-issuer unless the claims say otherwise), which a RequestAuthentication rule must
 * trust for the proxies to accept it. Asking needs the mesh token.
 */
async function signedToken(controlPlane: string, meshTokenFile: string, claims: Record<string, unknown>): Promise<string> {
  let meshToken = process.env['SKIFF_MESH_TOKEN'];
  if (!meshToken) {
    try {
      meshToken = readFileSync(meshTokenFile, 'utf8').trim();
    } catch {
      throw new Error(`request.jwt: a token is signed by the control plane's test issuer, which asks for the mesh token; cannot read ${meshTokenFile} (pass --mesh-token-file, or SKIFF_MESH_TOKEN)`);
    }
  }
  const res = await fetch(`${controlPlane}/test-issuer/token`, { method: 'POST', headers: { authorization: `Bearer ${meshToken}`, 'content-type': 'application/json' }, body: JSON.stringify(claims), signal: AbortSignal.timeout(5_000) });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string; message?: string };
  if (!res.ok || !body.token) throw new Error(`request.jwt: the control plane's test issuer answered ${res.status}: ${body.error ?? body.message ?? 'no token'}`);
  return body.token;
}

/** Where the caller's app sends: its sidecar's outbound listener, or the gateway's listener for the request's port. */
async function entryPoint(caller: WorkloadInfo, port: number): Promise<{ port: number; proxyForm: boolean } | string> {
  if (caller.adminPort === undefined) return `${caller.id} announced no admin port, so its listeners cannot be found`;
  const dump = await getJson<{ listeners?: Record<string, number> }>(`http://${caller.address}:${caller.adminPort}/config_dump`);
  const listeners = dump.listeners ?? {};
  if (caller.kind === 'sidecar') return listeners['outbound'] !== undefined ? { port: listeners['outbound'], proxyForm: true } : `${caller.id} has no outbound listener`;
  const listener = listeners[`gateway:${port}`];
  return listener !== undefined ? { port: listener, proxyForm: false } : `${caller.id} has no listener for port ${port} (it has ${Object.keys(listeners).join(', ')})`;
}

async function sendOne(agent: Agent, caller: WorkloadInfo, host: string, entry: { port: number; proxyForm: boolean }, c: MeshTestCase): Promise<Sent> {
  const parsed = parseRequest(c.request.method, c.request.url, c.request.headers);
  const headers: Record<string, string> = { ...c.request.headers, host: parsed.authority };
  try {
    // A sidecar's outbound listener takes the absolute form, as from an app whose HTTP_PROXY it is.
    const res = await agent.request({
      origin: `http://${host}:${entry.port}`,
      path: entry.proxyForm ? parsed.url : parsed.path,
      method: parsed.method as 'GET',
      headers,
      ...(c.request.body !== undefined ? { body: c.request.body } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    await res.body.dump();
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(',') : v;
    return { status: res.statusCode, headers: flat };
  } catch (error) {
    return { error: `${caller.id}: ${(error as Error).message}` };
  }
}

/** Requests the caller's proxy forwarded, by destination workload ("reviews-v1.default"), from its Istio metrics (reporter="source"). */
async function forwardedCounts(caller: WorkloadInfo): Promise<Map<string, number>> {
  const res = await fetch(`http://${caller.address}:${caller.adminPort}/stats/prometheus`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('istio_requests_total{') || !line.includes('reporter="source"')) continue;
    const workload = /destination_workload="([^"]*)"/.exec(line)?.[1];
    const namespace = /destination_workload_namespace="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!workload || !namespace || !Number.isFinite(value)) continue;
    const key = `${workload}.${namespace}`;
    counts.set(key, (counts.get(key) ?? 0) + value);
  }
  return counts;
}

function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

/**
 * Where the requests went: the caller's proxy counts each forwarded request by destination
 * workload; each workload is one of the route's clusters' endpoints (the snapshot the proxy has).
 * Other traffic from the same caller to the same service while the case runs would be counted
 * too: run live tests on a mesh nothing else is driving.
 */
async function observeLive(c: MeshTestCase, caller: WorkloadInfo, config: Observation, callerSnapshot: ProxySnapshot, registry: readonly WorkloadInfo[], log: (line: string) => void): Promise<Observation> {
  const parsed = parseRequest(c.request.method, c.request.url, c.request.headers);
  const entry = await entryPoint(caller, c.request.port ?? parsed.port);
  if (typeof entry === 'string') throw new Error(entry);
  const agent = new Agent({ connections: CONCURRENCY });
  const obs: Observation = { ...config, statuses: {}, destinations: [], why: [...config.why], notes: config.notes.filter((n) => !n.includes('offline')) };
  delete obs.responseHeaders;
  const errors: string[] = [];
  const before = await forwardedCounts(caller);
  try {
    for (let done = 0; done < c.request.repeat; done += CONCURRENCY) {
      const n = Math.min(CONCURRENCY, c.request.repeat - done);
      const sent = await Promise.all(Array.from({ length: n }, () => sendOne(agent, caller, caller.address, entry, c)));
      for (const s of sent) {
        if (s.error) errors.push(s.error);
        else {
          obs.statuses[s.status as number] = (obs.statuses[s.status as number] ?? 0) + 1;
          obs.responseHeaders ??= s.headers;
        }
      }
      if (c.request.repeat >= 500 && (done + n) % 500 === 0) log(`  … ${c.name}: ${done + n} of ${c.request.repeat} sent`);
    }
  } finally {
    await agent.close();
  }
  if (errors.length > 0) throw new Error(`${errors.length} of ${c.request.repeat} request(s) got no answer: ${errors[0]}`);
  // A request is counted when its response ends, which the caller may see a moment earlier.
  let counted = delta(before, await forwardedCounts(caller));
  for (let i = 0; i < 10; i++) {
    await delay(100);
    const again = delta(before, await forwardedCounts(caller));
    if ([...again.values()].reduce((a, b) => a + b, 0) === [...counted.values()].reduce((a, b) => a + b, 0)) break;
    counted = again;
  }
  const attributed = new Set<string>();
  for (const d of config.destinations) {
    const workloads = new Set(callerSnapshot.clusters.find((k) => k.name === d.cluster)?.endpoints.map((e) => e.workload) ?? []);
    const mine = [...counted].filter(([w]) => workloads.has(w));
    for (const [w] of mine) attributed.add(w);
    obs.destinations.push({ ...d, count: mine.reduce((a, [, n]) => a + n, 0) });
  }
  // Requests that reached a workload none of the route's clusters holds: the config in force is not
  // what was read a moment ago, or other traffic from this caller ran alongside. Either way, shown.
  for (const [workload, count] of counted) {
    if (attributed.has(workload)) continue;
    const info = registry.find((w) => w.id === workload);
    obs.destinations.push({ cluster: `(workload ${workload})`, host: info ? serviceFqdn(info.service, info.namespace) : workload, port: info?.servicePort ?? 0, count });
  }
  obs.total = c.request.repeat;
  obs.notes.push("route, fault, retries, timeout, mirror and the headers the app gets are read from the config the caller's proxy has in force");
  return obs;
}

export async function runLive(suites: readonly MeshTestSuite[], target: LiveTarget, log: (line: string) => void): Promise<CaseResult[]> {
  const { url: controlPlane, meshTokenFile } = controlPlaneOf(target);
  let registry: WorkloadInfo[];
  try {
    registry = await getJson<WorkloadInfo[]>(`${controlPlane}/debug/registryz`);
  } catch (error) {
    throw new Error(`cannot reach the mesh's control plane at ${controlPlane} (${(error as Error).message}); start the mesh with "skiff up", or pass --control-plane`);
  }
  const snapshots = new Map<string, ProxySnapshot>();
  for (const w of registry) {
    const answer = await getJson<{ snapshot: unknown }>(`${controlPlane}/debug/snapshot?proxy=${encodeURIComponent(w.id)}`);
    snapshots.set(w.id, ProxySnapshotSchema.parse(answer.snapshot));
  }
  const evaluator = new CaseEvaluator(registry, (w) => snapshots.get(w.id) ?? ProxySnapshotSchema.parse({ version: 'none', routeConfigs: [], clusters: [] }));
  const results: CaseResult[] = [];
  log(`skiff test --live: ${suites.reduce((a, s) => a + s.cases.length, 0)} case(s) through the mesh at ${controlPlane}`);
  for (const suite of suites) {
    for (const c of suite.cases) {
      const started = performance.now();
      let observed: Observation | Error;
      const caller = findWorkload(c.request.from, registry);
      if (typeof caller === 'string') observed = new Error(`request.from: ${caller}`);
      else if (c.request.principal !== undefined || c.request.namespace !== undefined) {
        observed = new Error("request.principal and namespace are for offline runs: live, the caller's identity is its sidecar's certificate (run this case without --live)");
      } else {
        const config = evaluator.evaluate(c);
        observed =
          config instanceof Error
            ? config
            : await (async () => {
                // A case with claims sends them as a token the control plane's test issuer signed.
                const headers: Record<string, string> = c.request.jwt ? { authorization: `Bearer ${await signedToken(controlPlane, meshTokenFile, c.request.jwt)}` } : {};
                return observeLive({ ...c, request: { ...c.request, headers: { ...c.request.headers, ...headers } } }, caller, config, evaluator.snapshotOf(caller), registry, log);
              })().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      }
      results.push(caseResult(suite, c, 'live', observed, performance.now() - started));
    }
  }
  return results;
}
