// A Kubernetes API server stand-in, for testing the control plane's Kubernetes config source
// where no cluster can run. It is not a mock of our code: it is a real HTTP server that follows
// the API's documented list/watch protocol (https://kubernetes.io/docs/reference/using-api/api-concepts/):
// one resourceVersion counter across all objects, lists that return the version they are
// consistent at, watches that replay every change after the version asked for, BOOKMARK events
// when allowWatchBookmarks=true, "410 Gone" (an ERROR event with a Status, code 410, reason
// Expired) when the version asked for has been compacted away, timeoutSeconds, the status
// subresource with JSON merge patch, Leases with optimistic concurrency (409 Conflict), and
// TokenReviews. Tests drive it: apply and delete objects, compact history, drop connections.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createRootCa, issueServingMaterial, loadCa } from '@skiff/pki';

export interface StandInResource {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Built-in kinds' list items carry no apiVersion/kind, as the real server sends them; custom resources do. */
  builtIn?: boolean;
}

type KubeObject = { apiVersion?: string; kind?: string; metadata: Record<string, unknown> & { name: string; namespace?: string }; [key: string]: unknown };
type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject; rv: number };

interface OpenWatch {
  resource: StandInResource;
  namespace?: string;
  res: ServerResponse;
  socket: Socket;
  bookmarks: boolean;
}

export interface TokenReviewAnswer {
  username: string;
  uid?: string;
  audiences: string[];
}

export interface KubeApiStandIn {
  /** https://127.0.0.1:<port>, serving a certificate for kubernetes.default.svc (see kubeconfig). */
  readonly url: string;
  /** The root its certificate chains to (a cluster's certificate-authority-data). */
  readonly caPem: string;
  /** A kubeconfig for it, as kubectl writes one: server, CA, server name and bearer token. */
  readonly kubeconfig: string;
  /** The bearer token clients must send (anything else gets 401). */
  readonly token: string;
  /** Creates or replaces an object; a changed spec bumps metadata.generation as the real server does. Returns the stored object. */
  apply(object: KubeObject): KubeObject;
  delete(kind: string, namespace: string | undefined, name: string): void;
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Forgets the change history: a watch from any older resourceVersion now gets 410 Gone. */
  compact(): void;
  /** Cuts every open watch connection mid-stream, as a load balancer or an API server restart does. */
  dropConnections(): void;
  /** Answers the next `count` requests whose path contains `pathPart` with this HTTP status. */
  failNext(pathPart: string, status: number, count?: number): void;
  /** Answers a watch on an expired version with HTTP 410 instead of a 200 stream with an ERROR event (servers do both). */
  expiredAsHttpStatus: boolean;
  /** How often an open watch that asked for bookmarks gets one (default 200 ms). */
  bookmarkIntervalMs: number;
  /** TokenReview answers by token; unknown tokens are not authenticated. */
  readonly serviceAccountTokens: Map<string, TokenReviewAnswer>;
  /** Every request, "METHOD path?query", in order. */
  readonly requests: string[];
  readonly openWatches: number;
  close(): Promise<void>;
}

export const STANDIN_RESOURCES: StandInResource[] = [
  ...['virtualservices:VirtualService', 'destinationrules:DestinationRule', 'gateways:Gateway', 'serviceentries:ServiceEntry'].map((s) => res('networking.istio.io', s)),
  ...['peerauthentications:PeerAuthentication', 'authorizationpolicies:AuthorizationPolicy', 'requestauthentications:RequestAuthentication'].map((s) => res('security.istio.io', s)),
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true, builtIn: true },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true, builtIn: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, builtIn: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, builtIn: true },
  { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false, builtIn: true },
];

function res(group: string, pluralKind: string): StandInResource {
  const [plural = '', kind = ''] = pluralKind.split(':');
  return { group, version: 'v1', plural, kind, namespaced: true };
}

/** The name a pod reaches the API server by; the stand-in's certificate is for it. */
const API_SERVER_NAME = 'kubernetes.default.svc';

const apiVersionOf = (r: StandInResource) => (r.group ? `${r.group}/${r.version}` : r.version);
const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export async function startKubeApiStandIn(options: { resources?: StandInResource[] } = {}): Promise<KubeApiStandIn> {
  const resources = options.resources ?? STANDIN_RESOURCES;
  const token = `standin-${Math.random().toString(36).slice(2)}`;
  let revision = 100;
  let compactedBelow = 0; // watches from a version below this get 410
  const objects = new Map<StandInResource, Map<string, KubeObject>>(resources.map((r) => [r, new Map()]));
  const history = new Map<StandInResource, WatchEvent[]>(resources.map((r) => [r, []]));
  const watches = new Set<OpenWatch>();
  const failures: Array<{ pathPart: string; status: number; left: number }> = [];
  const requests: string[] = [];
  const serviceAccountTokens = new Map<string, TokenReviewAnswer>();

  const byKind = (kind: string) => {
    const r = resources.find((x) => x.kind === kind);
    if (!r) throw new Error(`the stand-in serves no kind ${kind}`);
    return r;
  };

  function record(resource: StandInResource, type: WatchEvent['type'], object: KubeObject): void {
    const event: WatchEvent = { type, object: structuredClone(object), rv: revision };
    history.get(resource)?.push(event);
    for (const w of watches) {
      if (w.resource === resource && (w.namespace === undefined || w.namespace === object.metadata.namespace)) send(w, event.type, event.object);
    }
  }

  function store(resource: StandInResource, input: KubeObject, preserveStatus: boolean): KubeObject {
    const map = objects.get(resource) as Map<string, KubeObject>;
    const key = keyOf(input.metadata.namespace, input.metadata.name);
    const previous = map.get(key);
    const specChanged = !previous || JSON.stringify(withoutMeta(previous)) !== JSON.stringify(withoutMeta(input));
    revision += 1;
    const stored: KubeObject = {
      ...structuredClone(input),
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      metadata: {
        ...structuredClone(input.metadata),
        resourceVersion: String(revision),
        uid: (previous?.metadata['uid'] as string | undefined) ?? `uid-${revision}`,
        generation: previous ? Number(previous.metadata['generation'] ?? 1) + (specChanged ? 1 : 0) : 1,
        creationTimestamp: (previous?.metadata['creationTimestamp'] as string | undefined) ?? new Date().toISOString(),
      },
    };
    if (preserveStatus && previous?.['status'] !== undefined) stored['status'] = previous['status'];
    map.set(key, stored);
    record(resource, previous ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  function send(w: OpenWatch, type: string, object: unknown): void {
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  // HTTPS like a real API server, so clients take the TLS path they take in a cluster.
  const ca = loadCa(await createRootCa({ trustDomain: 'cluster.local', commonName: 'stand-in kubernetes CA', now: new Date() }));
  const serving = await issueServingMaterial(ca, { dnsNames: [API_SERVER_NAME], ttlMs: 86_400_000, now: new Date() });
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, status(500, 'InternalError', String(error)));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const failure = failures.find((f) => url.pathname.includes(f.pathPart) && f.left > 0);
    if (failure) {
      failure.left -= 1;
      return json(res, failure.status, status(failure.status, 'StandInFailure', `the stand-in was told to fail ${failure.pathPart}`));
    }
    const body = req.method === 'GET' ? undefined : await readBody(req);
    if (url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews' && req.method === 'POST') return tokenReview(res, body);
    const route = parsePath(url.pathname);
    if (!route) return json(res, 404, status(404, 'NotFound', `the stand-in does not serve ${url.pathname}`));
    const { resource, namespace, name, subresource } = route;
    const map = objects.get(resource) as Map<string, KubeObject>;
    if (req.method === 'GET' && name === undefined) {
      if (url.searchParams.get('watch') === 'true') return watch(req, res, resource, namespace, url.searchParams);
      const items = [...map.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace).map((o) => (resource.builtIn ? stripTypeMeta(o) : o));
      return json(res, 200, { apiVersion: apiVersionOf(resource), kind: `${resource.kind}List`, metadata: { resourceVersion: String(revision) }, items });
    }
    if (name === undefined && req.method !== 'POST') return json(res, 405, status(405, 'MethodNotAllowed', `${req.method} on a collection`));
    const existing = name === undefined ? undefined : map.get(keyOf(namespace, name));
    if (req.method === 'GET') return existing ? json(res, 200, existing) : json(res, 404, status(404, 'NotFound', `${resource.plural} "${name ?? ''}" not found`));
    if (req.method === 'POST' || req.method === 'PUT') {
      const object = body as KubeObject;
      if (req.method === 'POST' && map.has(keyOf(namespace, object.metadata.name))) return json(res, 409, status(409, 'AlreadyExists', `${resource.plural} "${object.metadata.name}" already exists`));
      if (req.method === 'PUT') {
        if (!existing) return json(res, 404, status(404, 'NotFound', `${resource.plural} "${name ?? ''}" not found`));
        const asked = object.metadata['resourceVersion'];
        if (asked !== undefined && asked !== existing.metadata['resourceVersion']) {
          return json(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on ${resource.plural} "${name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`));
        }
      }
      return json(res, req.method === 'POST' ? 201 : 200, store(resource, { ...object, metadata: { ...object.metadata, namespace } }, false));
    }
    if (req.method === 'PATCH' && subresource === 'status') {
      if (!existing) return json(res, 404, status(404, 'NotFound', `${resource.plural} "${name ?? ''}" not found`));
      if (!String(req.headers['content-type']).startsWith('application/merge-patch+json')) return json(res, 415, status(415, 'UnsupportedMediaType', `the stand-in takes merge patches, got ${String(req.headers['content-type'])}`));
      const patch = body as { status?: unknown };
      const updated = { ...existing, status: mergePatch(existing['status'], patch.status) };
      return json(res, 200, store(resource, updated, false));
    }
    return json(res, 405, status(405, 'MethodNotAllowed', `${req.method} ${url.pathname}`));
  }

  function tokenReview(res: ServerResponse, body: unknown): void {
    const spec = (body as { spec?: { token?: string; audiences?: string[] } }).spec ?? {};
    const answer = serviceAccountTokens.get(spec.token ?? '');
    const wanted = spec.audiences ?? [];
    const audiences = answer?.audiences.filter((a) => wanted.length === 0 || wanted.includes(a)) ?? [];
    const ok = answer !== undefined && (wanted.length === 0 || audiences.length > 0);
    json(res, 201, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { creationTimestamp: null },
      spec,
      status: ok ? { authenticated: true, user: { username: answer.username, uid: answer.uid ?? 'uid', groups: ['system:serviceaccounts'] }, audiences } : { authenticated: false, error: answer ? 'token audiences do not match' : 'invalid bearer token' },
    });
  }

  function watch(req: IncomingMessage, res: ServerResponse, resource: StandInResource, namespace: string | undefined, params: URLSearchParams): void {
    const from = params.get('resourceVersion');
    const bookmarks = params.get('allowWatchBookmarks') === 'true';
    const timeoutSeconds = Number(params.get('timeoutSeconds') ?? 0);
    const fromRv = from === null || from === '' || from === '0' ? undefined : Number(from);
    if (fromRv !== undefined && fromRv < compactedBelow && expiredAsHttp.value) return json(res, 410, status(410, 'Expired', `too old resource version: ${fromRv} (${compactedBelow})`));
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: OpenWatch = { resource, namespace, res, socket: req.socket, bookmarks };
    if (fromRv !== undefined && fromRv < compactedBelow) {
      send(w, 'ERROR', status(410, 'Expired', `too old resource version: ${fromRv} (${compactedBelow})`));
      res.end();
      return;
    }
    watches.add(w);
    const inScope = (o: KubeObject) => namespace === undefined || o.metadata.namespace === namespace;
    // No version: "start at most recent" means the current state as synthetic ADDED events first.
    if (fromRv === undefined) {
      for (const o of objects.get(resource)?.values() ?? []) if (inScope(o)) send(w, 'ADDED', o);
    } else {
      for (const e of history.get(resource) ?? []) if (e.rv > fromRv && inScope(e.object)) send(w, e.type, e.object);
    }
    const bookmark = bookmarks
      ? setInterval(() => send(w, 'BOOKMARK', { kind: resource.kind, apiVersion: apiVersionOf(resource), metadata: { resourceVersion: String(revision) } }), state.bookmarkIntervalMs)
      : undefined;
    const timeout = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    const done = () => {
      watches.delete(w);
      clearInterval(bookmark);
      clearTimeout(timeout);
    };
    res.on('close', done);
  }

  const expiredAsHttp = { value: false };
  const state = { bookmarkIntervalMs: 200 };

  function parsePath(pathname: string): { resource: StandInResource; namespace?: string; name?: string; subresource?: string } | undefined {
    const parts = pathname.split('/').filter(Boolean);
    const [prefix] = parts;
    let rest: string[];
    let group = '';
    let version: string | undefined;
    if (prefix === 'api') [version, ...rest] = parts.slice(1);
    else if (prefix === 'apis') [group = '', version, ...rest] = parts.slice(1);
    else return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource] = rest;
    const resource = resources.find((r) => r.group === group && r.version === version && r.plural === plural);
    if (!resource) return undefined;
    return { resource, namespace, name, subresource };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const url = `https://127.0.0.1:${port}`;
  return {
    url,
    caPem: serving.caBundlePem,
    kubeconfig: `apiVersion: v1
kind: Config
clusters:
  - name: standin
    cluster:
      server: ${url}
      certificate-authority-data: ${Buffer.from(serving.caBundlePem).toString('base64')}
      tls-server-name: ${API_SERVER_NAME}
users: [{ name: skiff, user: { token: ${token} } }]
contexts: [{ name: standin, context: { cluster: standin, user: skiff } }]
current-context: standin
`,
    token,
    serviceAccountTokens,
    requests,
    get openWatches() {
      return watches.size;
    },
    get expiredAsHttpStatus() {
      return expiredAsHttp.value;
    },
    set expiredAsHttpStatus(value: boolean) {
      expiredAsHttp.value = value;
    },
    get bookmarkIntervalMs() {
      return state.bookmarkIntervalMs;
    },
    set bookmarkIntervalMs(value: number) {
      state.bookmarkIntervalMs = value;
    },
    apply: (object) => store(byKind(object.kind ?? ''), object, true),
    delete(kind, namespace, name) {
      const resource = byKind(kind);
      const map = objects.get(resource) as Map<string, KubeObject>;
      const existing = map.get(keyOf(namespace, name));
      if (!existing) throw new Error(`the stand-in has no ${kind} ${keyOf(namespace, name)}`);
      map.delete(keyOf(namespace, name));
      revision += 1;
      record(resource, 'DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(revision) } });
    },
    get: (kind, namespace, name) => objects.get(byKind(kind))?.get(keyOf(namespace, name)),
    compact() {
      compactedBelow = revision;
      for (const events of history.values()) events.length = 0;
    },
    dropConnections() {
      for (const w of watches) w.socket.destroy();
    },
    failNext(pathPart, code, count = 1) {
      failures.push({ pathPart, status: code, left: count });
    },
    async close() {
      for (const w of watches) w.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function withoutMeta(o: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

function stripTypeMeta(o: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest as KubeObject;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}
