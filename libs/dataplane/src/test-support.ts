// Test helpers for the data plane: a scripted discovery server (a real gRPC server on loopback
// whose pushes the test chooses) and small real HTTP upstreams.
import http2 from 'node:http2';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { compileTrafficPolicy, type ProxySnapshotInput, type TrafficPolicy } from '@skiff/api';
import { createLogger } from '@skiff/telemetry';
import { startProxy, type ProxyOptions, type RunningProxy } from './proxy.js';
import { discoveryServiceDefinition, grpc, type DiscoveryRequest, type ServerDiscoveryStream } from '@skiff/protocol';

export class ScriptedDiscoveryServer {
  readonly server = new grpc.Server();
  readonly requests: DiscoveryRequest[] = [];
  readonly streams: ServerDiscoveryStream[] = [];
  #nonce = 0;
  #latest: string | undefined;

  constructor() {
    this.server.addService(discoveryServiceDefinition(), {
      Stream: (stream: ServerDiscoveryStream) => {
        this.streams.push(stream);
        stream.on('data', (req: DiscoveryRequest) => {
          this.requests.push(req);
          if (req.responseNonce === '' && this.#latest) this.#send(stream, this.#latest);
        });
        stream.on('error', () => undefined);
      },
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
  }

  /** Pushes a snapshot to every connected proxy (and to those that connect later). */
  push(snapshot: ProxySnapshotInput): void {
    this.#latest = JSON.stringify(snapshot);
    for (const stream of this.streams) this.#send(stream, this.#latest);
  }

  #send(stream: ServerDiscoveryStream, json: string): void {
    const { version } = JSON.parse(json) as { version: string };
    stream.write({ versionInfo: version, nonce: String(++this.#nonce), snapshotJson: json });
  }

  close(): void {
    this.server.forceShutdown();
  }
}

/**
 * A client sidecar's options for tests against a ScriptedDiscoveryServer on `discoveryPort`:
 * plaintext discovery (the stand-in has no TLS), silent logs, an outbound listener on a free port.
 */
export function clientProxyOptions(discoveryPort: number, extra: Partial<ProxyOptions> = {}): ProxyOptions {
  return {
    node: { id: 'client.default', kind: 'sidecar', service: 'client', namespace: 'default', serviceAccount: 'client', labels: {}, address: '127.0.0.1', inboundPort: 0, servicePort: 80 },
    controlPlane: `127.0.0.1:${discoveryPort}`,
    discovery: { plaintext: true },
    logger: createLogger('test', {}, { level: 'silent' }),
    bindHost: '127.0.0.1',
    adminPort: 0,
    outboundPort: 0,
    ...extra,
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real upstream that answers with its name and records what it received. */
export async function startUpstream(name: string, handler?: (req: IncomingMessage) => { status?: number; delayMs?: number } | undefined): Promise<{ server: Server; port: number; received: RecordedRequest[] }> {
  const received: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const plan = handler?.(req) ?? {};
      setTimeout(() => {
        res.writeHead(plan.status ?? 200, { 'content-type': 'text/plain', 'x-upstream': name, connection: 'keep-alive' });
        res.end(`${name} ${req.method} ${req.url}`);
      }, plan.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, received };
}

export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface SidecarAndGateway {
  discovery: ScriptedDiscoveryServer;
  sidecar: RunningProxy;
  gateway: RunningProxy;
  /** Ports by listener: outbound (`http://svc/…`), inbound and gateway (`/…`, Host `svc`). */
  listeners(): Array<{ name: 'outbound' | 'inbound' | 'gateway'; port: number; target: (path: string) => string }>;
  close(): Promise<void>;
}

/**
 * A sidecar in front of `appPort` and an ingress gateway, both routing host `svc` (port 80) to
 * that app through cluster `app`, from one scripted snapshot: every data listener reaches the
 * same app, for tests that try one behaviour on each.
 */
export async function startSidecarAndGateway(options: { version: string; appPort: number; trafficPolicy?: TrafficPolicy; proxies?: Partial<ProxyOptions>; gateway?: Partial<ProxyOptions> }): Promise<SidecarAndGateway> {
  const discovery = new ScriptedDiscoveryServer();
  const xdsPort = await discovery.listen();
  const route = (name: string) => ({
    name,
    virtualHosts: [{ name: 'svc', domains: ['svc', 'svc:80'], routes: [{ name: 'to-app', action: { kind: 'route' as const, clusters: [{ cluster: 'app', weight: 100 }], retries: { attempts: 0, retryOn: [], retriableStatusCodes: [] } } }] }],
  });
  discovery.push({
    version: options.version,
    routeConfigs: [route('80'), route('http.80')],
    clusters: [{ name: 'app', service: 'svc', port: 80, endpoints: [{ address: '127.0.0.1', port: options.appPort, workload: 'app', labels: {} }], ...(options.trafficPolicy ? { policy: compileTrafficPolicy(options.trafficPolicy) } : {}) }],
    gatewayServers: [{ port: 80, protocol: 'HTTP', hosts: ['*'], routeConfig: 'http.80' }],
  });
  const sidecar = await startProxy(clientProxyOptions(xdsPort, { inboundPort: 0, appPort: options.appPort, ...options.proxies }));
  const gateway = await startProxy(
    clientProxyOptions(xdsPort, {
      node: { id: 'istio-ingressgateway.istio-system', kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'gw', labels: { istio: 'ingressgateway' }, address: '127.0.0.1', inboundPort: 0, servicePort: 0 },
      gatewayPorts: [{ port: 0, serverPort: 80 }],
      ...options.proxies,
      ...options.gateway,
    }),
  );
  await until(() => sidecar.holder.current?.version === options.version && gateway.holder.current?.version === options.version, 'the snapshot on both proxies');
  return {
    discovery,
    sidecar,
    gateway,
    listeners: () => [
      { name: 'outbound', port: sidecar.ports['outbound'] as number, target: (path) => `http://svc${path}` },
      { name: 'inbound', port: sidecar.ports['inbound'] as number, target: (path) => path },
      { name: 'gateway', port: gateway.ports['gateway:80'] as number, target: (path) => path },
    ],
    async close() {
      await sidecar.close();
      await gateway.close();
      discovery.close();
    },
  };
}

/** One HTTP/2 request with prior knowledge (h2c) to a listener; its status and body. */
export async function h2cRequest(port: number, path: string, authority = 'svc'): Promise<{ status: number; body: string }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({ ':path': path, ':authority': authority });
      let status = 0;
      let body = '';
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => resolve({ status, body }));
      req.on('error', reject);
      req.end();
    });
  } finally {
    session.close();
  }
}
