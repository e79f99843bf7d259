// The request path shared by the outbound listener and the gateway, as a pipeline of small
// steps over the snapshot captured when the request arrived:
//   route match -> redirect | fault -> pick weighted cluster -> rewrite -> header ops
//   -> mirror (fire and forget) -> attempts (host pick, circuit breaker, per-try timeout,
//   outlier accounting, retry policy) -> relay response with response header ops.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RetryPolicy, RouteAction, WeightedCluster } from '@skiff/api';
import { pickCluster, selectRoute } from '@skiff/routing';
import type { HopKind, HopSpan, HopTracer, Logger } from '@skiff/telemetry';
import type { ClusterRuntime, EndpointRuntime } from './cluster-runtime.js';
import type { CompiledSnapshot } from './compiled-snapshot.js';
import { badRequest, classifyUpstreamError, clusterNotFound, faultAbort, forwardingLoop, noHealthyUpstream, noRoute, notReady, overflow, upstreamConnectFailure, upstreamReset, upstreamTimeout, type LocalReply } from './errors.js';
import { forward, sendLocalReply, type ForwardResult } from './forward.js';
import { forwardableHeaders, type HeaderMap } from './hop-by-hop.js';
import { ensureRequestId } from './request-id.js';
import { requestTarget, type RequestTarget } from './request-target.js';
import type { SnapshotHolder } from './snapshot-holder.js';
import { planFault } from './steps/fault.js';
import { applyHeaderOperations } from './steps/header-ops.js';
import { bodyForAttempt, readRequestBody, replayable, type RequestBody } from './steps/request-body.js';
import { isRetriable, retryBackoffMs, type AttemptOutcome } from './steps/retry-policy.js';
import { rewritePath, shadowAuthority } from './steps/rewrite.js';
import { callUpstream } from './upstream-call.js';
import { AbortLatch } from './abort-latch.js';
import { discardBody, relayBody } from './relay-body.js';
import { encodePeerMetadata, PEER_METADATA_HEADER } from './peer-metadata.js';
import { countResponseBytes, traceHeadersOf, type RequestEvent, type RequestObserver } from './request-event.js';
import { hashKeyFor } from '../cluster/index.js';
import type { WorkloadCertificate } from '../security/identity.js';
import { peerTlsFor } from '../security/peer-tls.js';
import { checkRequest } from '../security/request-security.js';
import { originOf, type UpstreamPools } from './upstream-pools.js';

export interface RouterOptions {
  holder: SnapshotHolder;
  pools: UpstreamPools;
  logger: Logger;
  /** Which route config serves this request (sidecar: by port; gateway: by listener). */
  routeConfigName: (target: RequestTarget) => string;
  /** Sidecars pass unknown hosts through (Istio's ALLOW_ANY); gateways answer 404. */
  passthrough: boolean;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  random?: () => number;
  /** The workload certificate in force, when the proxy has an identity (mTLS to peers). */
  certificate?: () => WorkloadCertificate | undefined;
  /** Gateways check RequestAuthentication and AuthorizationPolicy for their own workload. */
  receivingSecurity?: { port: number };
  /** Told about every request when it ends (metrics, access log, traces). */
  observer?: RequestObserver;
  /** This proxy's workload, the `source` of the requests it sends. */
  self?: RequestEvent['source'];
  /** A span per request, joined to the caller's trace (sidecar outbound: client; gateway: server). */
  tracer?: HopTracer;
  spanKind?: HopKind;
}

/** What the pipeline learns about a request, for its RequestEvent. */
interface RequestFacts {
  route?: string;
  upstreamCluster?: string;
  upstreamHost?: string;
  destination: RequestEvent['destination'];
  mtls: boolean;
  requestBytes: number;
  /** A fault-injection delay ran (Envoy's DI flag, reported next to the outcome's flag). */
  delayInjected?: boolean;
  /** From sending the request upstream to its response headers (Envoy's upstream service time). */
  upstreamServiceTimeMs?: number;
  span?: HopSpan;
}

type ForwardAction = Extract<RouteAction, { kind: 'route' }>;

export function createRouterHandler(options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const random = options.random ?? Math.random;
  const { observer, tracer } = options;
  return (req, res) => {
    const facts: RequestFacts = { destination: {}, mtls: false, requestBytes: Number(req.headers['content-length'] ?? 0) || 0 };
    const startTime = Date.now();
    const t0 = performance.now();
    const responseBytes = observer || tracer ? countResponseBytes(res) : undefined;
    void handle(options, random, req, res, facts)
      .catch((error: unknown): ForwardResult => {
        options.logger.error({ error: error instanceof Error ? error.stack : String(error) }, 'request failed inside the proxy');
        if (!res.headersSent) return sendLocalReply(res, { status: 500, body: 'internal proxy error\n', flag: 'DPE' });
        res.destroy();
        return { status: 0, flag: 'DPE', retriable: false };
      })
      .then((result) => {
        if (!observer && !facts.span) return;
        const target = requestTarget(req.url, req.headers.host);
        const event: RequestEvent = {
          reporter: 'source',
          startTime,
          durationMs: performance.now() - t0,
          method: req.method ?? 'GET',
          path: typeof target === 'string' ? (req.url ?? '/') : target.path,
          authority: typeof target === 'string' ? String(req.headers.host ?? '') : target.authority,
          protocol: 'http',
          requestId: String(req.headers['x-request-id'] ?? res.getHeader('x-request-id') ?? ''),
          userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
          responseCode: result.status || (res.headersSent ? res.statusCode : 0),
          responseFlags: facts.delayInjected ? (result.flag === '-' ? 'DI' : `DI,${result.flag}`) : result.flag,
          requestBytes: facts.requestBytes,
          responseBytes: responseBytes?.() ?? 0,
          route: facts.route,
          upstreamCluster: facts.upstreamCluster,
          upstreamHost: facts.upstreamHost,
          source: { ...(options.self ?? { workload: 'unknown', namespace: 'unknown' }), ...(facts.mtls && options.certificate?.() ? { principal: options.certificate()?.spiffeId } : {}) },
          upstreamServiceTimeMs: facts.upstreamServiceTimeMs,
          xForwardedFor: typeof req.headers['x-forwarded-for'] === 'string' ? req.headers['x-forwarded-for'] : undefined,
          destination: facts.destination,
          connectionSecurityPolicy: facts.mtls ? 'mutual_tls' : 'none',
          traceHeaders: traceHeadersOf(req.headers),
        };
        observer?.(event);
        facts.span?.end(event);
      });
  };
}

async function handle(options: RouterOptions, random: () => number, req: IncomingMessage, res: ServerResponse, facts: RequestFacts): Promise<ForwardResult> {
  const snapshot = options.holder.current;
  if (!snapshot) return sendLocalReply(res, notReady());
  const target = requestTarget(req.url, req.headers.host);
  if (typeof target === 'string') return sendLocalReply(res, badRequest(target));
  const headers = forwardableHeaders(req.headers);
  headers['host'] = target.authority;
  delete headers[PEER_METADATA_HEADER]; // only a sidecar may say who the caller is
  ensureRequestId(headers);
  facts.span = options.tracer?.start(options.spanKind ?? 'client', headers);
  const method = req.method ?? 'GET';
  if (options.receivingSecurity) {
    const verdict = await checkRequest(snapshot, { url: req.url, method: req.method, headers: req.headers, remoteAddress: req.socket.remoteAddress }, headers, undefined, options.receivingSecurity.port);
    if (!verdict.ok && verdict.reply) return sendLocalReply(res, verdict.reply, verdict.reply.headers ?? {});
    target.path = verdict.path;
  }

  const routeConfig = snapshot.routeConfigs.get(options.routeConfigName(target));
  const decision = routeConfig
    ? selectRoute(routeConfig, {
        method,
        authority: target.authority,
        path: target.path,
        headers: req.headers,
        port: target.port,
        sourceLabels: options.sourceLabels,
        sourceNamespace: options.sourceNamespace,
      })
    : undefined;

  if (!decision || decision.kind === 'no-virtual-host') {
    if (!options.passthrough) return sendLocalReply(res, noRoute(target.authority));
    // PassthroughCluster: a host the mesh does not know goes where the app asked. Where that is
    // this proxy itself (its own listener's address as Host), each pass would take another pooled
    // connection until none is left: the proxy marks what it passes through and refuses its own mark.
    const mark = passthroughMark(options);
    const seen = req.headers[PASSTHROUGH_HEADER];
    if (typeof seen === 'string' && seen.split(',').some((m) => m.trim() === mark)) return sendLocalReply(res, forwardingLoop(target.authority));
    headers[PASSTHROUGH_HEADER] = typeof seen === 'string' ? `${seen}, ${mark}` : mark;
    const result = await forward(options.pools.get(originOf(target.host, target.port)), req, res, { method, path: target.path, headers });
    return result.retriable && result.reply ? sendLocalReply(res, result.reply) : result;
  }
  if (decision.kind === 'no-route') return sendLocalReply(res, noRoute(target.authority));

  const route = decision.route.route;
  const action = route.action;
  facts.route = route.name;
  if (action.kind === 'redirect') return redirect(res, action, target);

  const fault = planFault(action.fault, random);
  if (fault.delayMs > 0) facts.delayInjected = true;
  if (fault.delayMs > 0 && !(await sleepUnlessGone(fault.delayMs, res))) return { status: 0, flag: 'DC', retriable: false };
  if (fault.abortStatus !== undefined) return sendLocalReply(res, faultAbort(fault.abortStatus));

  const weighted = pickCluster(decision.route, random);
  let path = target.path;
  if (action.rewrite?.uri !== undefined) path = rewritePath(path, decision.match?.match.uri, action.rewrite.uri);
  if (action.rewrite?.authority !== undefined) headers['host'] = action.rewrite.authority;
  applyHeaderOperations(headers, route.headers?.request);
  applyHeaderOperations(headers, weighted.headers?.request);

  const body = await readRequestBody(req);
  if (action.mirror && (action.mirror.percent >= 100 || random() * 100 < action.mirror.percent)) {
    mirror(options, snapshot, action.mirror.cluster, method, path, headers, body);
  }

  const query = path.indexOf('?');
  return attempts(options, random, snapshot, res, facts, {
    action,
    weighted,
    method,
    path,
    headers,
    body,
    responseOps: [route.headers?.response, weighted.headers?.response],
    hashRequest: { headers: req.headers, sourceIp: req.socket.remoteAddress, query: query < 0 ? undefined : path.slice(query + 1) },
  });
}

interface AttemptPlan {
  action: ForwardAction;
  weighted: WeightedCluster;
  method: string;
  path: string;
  headers: HeaderMap;
  body: RequestBody;
  responseOps: Array<Parameters<typeof applyHeaderOperations>[1]>;
  hashRequest: Parameters<typeof hashKeyFor>[1];
}

async function attempts(options: RouterOptions, random: () => number, snapshot: CompiledSnapshot, res: ServerResponse, facts: RequestFacts, plan: AttemptPlan): Promise<ForwardResult> {
  const cluster = snapshot.clusters.get(plan.weighted.cluster);
  facts.upstreamCluster = plan.weighted.cluster;
  if (!cluster) return sendLocalReply(res, clusterNotFound(plan.weighted.cluster));
  const retries: RetryPolicy | undefined = replayable(plan.body) ? plan.action.retries : undefined;
  const maxAttempts = 1 + (retries?.attempts ?? 0);
  const deadline = plan.action.timeoutMs ? Date.now() + plan.action.timeoutMs : Infinity;
  // One latch per attempt, aborted by its per-try timeout or by the client leaving.
  let current: { signal: AbortLatch; timedOut: boolean } | undefined;
  let gone = false;
  const onClose = () => {
    if (res.writableFinished) return;
    gone = true;
    current?.signal.abort();
  };
  res.once('close', onClose);
  const tried: EndpointRuntime[] = [];
  const hashKey = hashKeyFor(cluster.policy.loadBalancer, plan.hashRequest, random);
  if (hashKey?.setCookie) plan.responseOps = [...plan.responseOps, { add: { 'set-cookie': hashKey.setCookie } }];
  let lastReply: LocalReply = noHealthyUpstream(cluster.name);
  // An answer kept unread while a retry is decided; returned as is when the retry is refused.
  let held: { response: Dispatcher.ResponseData; release: () => void } | undefined;
  // A retry attempt holds one of the cluster's maxRetries slots while it is in flight.
  let retrying = false;
  try {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) {
        // DestinationRule http.maxRetries (Envoy's max_retries circuit breaker): retries
        // outstanding to the cluster at once. Over it, no retry: the last answer stands
        // (Envoy counts upstream_rq_retry_overflow and returns what it has).
        if (!cluster.breaker.tryAcquireRetry()) break;
        retrying = true;
        const wait = retryBackoffMs(attempt - 1, random);
        if (Date.now() + wait >= deadline) break;
        if (wait > 0 && !(await sleepUnlessGone(wait, res))) return { status: 0, flag: 'DC', retriable: false };
        if (held) {
          held.response.body.dump().catch(() => undefined);
          held.release();
          held = undefined;
        }
      }
      if (gone) return { status: 0, flag: 'DC', retriable: false };
      const host = cluster.pickHost(hashKey?.key, tried);
      if (!host) return sendLocalReply(res, noHealthyUpstream(cluster.name));
      if (!cluster.tryAcquire()) return sendLocalReply(res, overflow(), { 'x-envoy-overloaded': 'true' });
      tried.push(host);
      host.active++;
      const peerTls = peerTlsFor(options.certificate?.(), cluster, host);
      facts.upstreamHost = host.key;
      facts.mtls = peerTls !== undefined;
      const endpoint = host.endpoint as typeof host.endpoint & { identity?: string };
      if (peerTls && options.self) plan.headers[PEER_METADATA_HEADER] = encodePeerMetadata(options.self);
      facts.destination = {
        workload: endpoint.workload.split('.')[0],
        namespace: endpoint.workload.split('.')[1],
        service: cluster.cluster.service,
        app: endpoint.labels['app'],
        version: endpoint.labels['version'],
        ...(endpoint.identity ? { principal: endpoint.identity } : {}),
      };
      const remaining = deadline - Date.now();
      const perTry = retries?.perTryTimeoutMs ?? 0;
      const budget = Math.min(remaining, perTry > 0 ? perTry : Infinity);
      const attemptState = { signal: new AbortLatch(), timedOut: false };
      current = attemptState;
      const timeoutHandle = Number.isFinite(budget)
        ? setTimeout(() => {
            attemptState.timedOut = true;
            attemptState.signal.abort();
          }, Math.max(0, budget))
        : undefined;
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          host.active--;
          cluster.release();
        }
      };
      const sentAt = performance.now();
      try {
        const result = await callUpstream(options.pools.get(host.origin, cluster.poolOptions, peerTls), {
          method: plan.method,
          path: plan.path,
          headers: plan.headers,
          body: bodyForAttempt(plan.body),
          signal: attemptState.signal,
        });
        if (gone) {
          // An answer nobody will read still holds its pooled connection until its body is gone.
          if (result.kind === 'response') discardBody(result.response.body);
          return { status: 0, flag: 'DC', retriable: false };
        }
        if (result.kind === 'error') {
          if (result.outcome.invalidRequest) return sendLocalReply(res, badRequest(result.message));
          const timedOut = attemptState.timedOut;
          const outcome: AttemptOutcome = timedOut ? { perTryTimeout: true } : result.outcome;
          cluster.record(host, outcome);
          const overallTimeout = timedOut && Date.now() >= deadline - 1;
          lastReply = overallTimeout || timedOut ? upstreamTimeout() : outcome.connectFailure ? upstreamConnectFailure('connection failure') : upstreamReset(result.code === 'UND_ERR_SOCKET' ? 'connection termination' : result.code);
          if (overallTimeout || !isRetriable(retries, outcome)) return sendLocalReply(res, lastReply);
          continue;
        }
        const { response } = result;
        facts.upstreamServiceTimeMs = performance.now() - sentAt;
        cluster.record(host, { status: response.statusCode });
        if (attempt + 1 < maxAttempts && isRetriable(retries, { status: response.statusCode })) {
          lastReply = { status: response.statusCode, body: '', flag: 'URX' };
          // Kept unread until the retry is admitted: if it is not, this answer is the one relayed.
          held = { response, release };
          continue;
        }
        const relayed = await relay(res, response, plan.responseOps, release);
        // Envoy's URX: retries were allowed, all used up, and the last answer still asked for one.
        if (maxAttempts > 1 && relayed.flag === '-' && isRetriable(retries, { status: response.statusCode })) return { ...relayed, flag: 'URX' };
        return relayed;
      } finally {
        if (timeoutHandle) clearTimeout(timeoutHandle);
        if (held?.release !== release) release();
        if (retrying) {
          cluster.breaker.releaseRetry();
          retrying = false;
        }
      }
    }
    // No further attempt (retries used up, refused by maxRetries, or past the deadline): the
    // last answer stands, relayed as the upstream gave it.
    if (held) {
      const last = held;
      held = undefined;
      const relayed = await relay(res, last.response, plan.responseOps, last.release);
      return relayed.flag === '-' ? { ...relayed, flag: 'URX' } : relayed;
    }
    return sendLocalReply(res, lastReply.body === '' ? upstreamReset('retries exhausted') : lastReply);
  } finally {
    res.off('close', onClose);
    if (retrying) cluster.breaker.releaseRetry();
    if (held) {
      held.response.body.dump().catch(() => undefined);
      held.release();
    }
  }
}

async function relay(res: ServerResponse, response: Dispatcher.ResponseData, responseOps: AttemptPlan['responseOps'], release: () => void): Promise<ForwardResult> {
  const headers = forwardableHeaders(response.headers);
  for (const ops of responseOps) applyHeaderOperations(headers, ops);
  res.writeHead(response.statusCode, headers);
  try {
    await relayBody(response.body, res);
  } catch (error) {
    release();
    discardBody(response.body);
    res.destroy();
    return { status: response.statusCode, flag: classifyUpstreamError(error).flag === 'UT' ? 'UT' : 'UPE', retriable: false };
  }
  return { status: response.statusCode, flag: '-', retriable: false };
}

/** Names the proxies a passed-through request has crossed, so one that comes back is recognised. */
export const PASSTHROUGH_HEADER = 'x-skiff-passthrough';

// One mark per router (per proxy), unique even between replicas of one workload.
const marks = new WeakMap<RouterOptions, string>();
function passthroughMark(options: RouterOptions): string {
  let mark = marks.get(options);
  if (!mark) {
    mark = `${options.self ? `${options.self.workload}.${options.self.namespace}` : 'proxy'}~${randomBytes(4).toString('hex')}`;
    marks.set(options, mark);
  }
  return mark;
}

function redirect(res: ServerResponse, action: Extract<RouteAction, { kind: 'redirect' }>, target: RequestTarget): ForwardResult {
  const host = action.authority ?? target.host;
  const port = action.port !== undefined ? `:${action.port}` : action.authority === undefined && target.authority.includes(':') ? target.authority.slice(target.authority.lastIndexOf(':')) : '';
  const location = `${action.scheme ?? 'http'}://${host}${port}${action.uri ?? target.path}`;
  res.writeHead(action.redirectCode, { location, 'content-length': 0 });
  res.end();
  return { status: action.redirectCode, flag: '-', retriable: false };
}

/** Mirroring (shadowing): a copy to another cluster whose answer nobody waits for. */
function mirror(options: RouterOptions, snapshot: CompiledSnapshot, clusterName: string, method: string, path: string, headers: HeaderMap, body: RequestBody): void {
  if (!replayable(body)) return;
  const cluster: ClusterRuntime | undefined = snapshot.clusters.get(clusterName);
  const host = cluster?.pickHost(undefined, []);
  if (!cluster || !host) return;
  const shadowHeaders = { ...headers, host: shadowAuthority(String(headers['host'] ?? '')) };
  void callUpstream(options.pools.get(host.origin, cluster.poolOptions, peerTlsFor(options.certificate?.(), cluster, host)), { method, path, headers: shadowHeaders, body: bodyForAttempt(body), signal: AbortSignal.timeout(30_000) })
    .then((result) => (result.kind === 'response' ? result.response.body.dump() : undefined))
    .catch(() => undefined);
}

function sleepUnlessGone(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(res.writableFinished);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

export type { CompiledSnapshot };
