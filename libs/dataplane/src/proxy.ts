// Wires one proxy together: discovery client, snapshot holder, listeners, admin. A sidecar has
// outbound + inbound listeners; a gateway has one listener per Gateway server port.
import type { Server, Socket } from 'node:net';
import { isTcpProtocol, portProtocol, upstreamHttpVersion, type WorkloadInfo } from '@skiff/api';
import type { HopTracer, Logger } from '@skiff/telemetry';
import { startAdminServer } from './admin/admin-server.js';
import { boundPort, closeServer } from './core/listen.js';
import { SnapshotHolder } from './core/snapshot-holder.js';
import { UpstreamPools } from './core/upstream-pools.js';
import { XdsClient } from './core/xds-client.js';
import { startGatewayListener } from './gateway/gateway-listener.js';
import { DownstreamGuard, type DownstreamLimits } from './downstream/downstream-guard.js';
import { OverloadMonitor } from './downstream/overload-monitor.js';
import { startInboundListener } from './inbound/inbound-listener.js';
import { startOutboundListener } from './outbound/outbound-listener.js';
import type { InboundStats } from './inbound/inbound-listener.js';
import { WorkloadIdentity } from './security/identity.js';
import { MutableCertificateProvider, mutualTlsChannelCredentials, type DiscoveryTransport } from '@skiff/protocol';
import { AppHealthChecker, DEFAULT_PROBE, type ProbeSettings } from './inbound/app-health.js';
import type { RequestEvent, RequestObserver } from './core/request-event.js';
import type { TcpObserver } from './tcp/tcp-event.js';
import { isRoutedAsTcp } from './tcp/raw-connection.js';

/**
 * How the proxy reaches the control plane: mutual TLS, verifying the control plane's certificate
 * (named `serverName`, default skiff-control-plane) against the mesh root, and presenting the
 * workload certificate; or plaintext, for debugging against --plaintext-xds-port.
 */
export type DiscoveryOptions = { plaintext: true } | { plaintext?: false; rootCertPem: string; serverName?: string };

export interface ProxyOptions {
  node: WorkloadInfo;
  controlPlane: string;
  discovery: DiscoveryOptions;
  /** Sidecars: how the app behind the inbound listener is probed (default: a TCP connect every 500 ms). */
  appProbe?: Partial<ProbeSettings>;
  logger: Logger;
  /** Address the listeners bind (loopback in local mode). */
  bindHost: string;
  adminPort: number;
  /** Sidecar only. */
  outboundPort?: number;
  inboundPort?: number;
  appHost?: string;
  appPort?: number;
  /** Gateway only: local port -> Gateway server port. */
  gatewayPorts?: Array<{ port: number; serverPort: number }>;
  /** Gateway only: where `tls.credentialName: foo` finds foo/tls.crt, tls.key, ca.crt (default .skiff/credentials). */
  credentialsDir?: string;
  /** Workload identity and mTLS: a bootstrap token for the control plane's CA. */
  identity?: { token: string | (() => string); trustDomain: string; certTtlMs?: number };
  /** Told about every request when it ends: metrics, access log, traces. */
  observer?: RequestObserver;
  /** A span per request on each side (OpenTelemetry); none when tracing is off. */
  tracer?: HopTracer;
  /** Told about every accepted connection (istio_tcp_connections_opened_total): inbound as reporter destination, outbound and gateway as source. */
  onConnection?: (reporter: 'source' | 'destination', connection: { source?: RequestEvent['source']; destination?: RequestEvent['destination'] }) => void;
  /** Told when a proxied TCP connection opens and closes (istio_tcp_* metrics, the access log). */
  tcpObserver?: TcpObserver;
  /** An undeclared inbound port: how long a silent client is waited for before it is carried as TCP (0: forever). */
  protocolDetectionTimeoutMs?: number;
  /** Prometheus text for the admin port's /stats/prometheus (Envoy's admin path). */
  stats?: () => Promise<{ contentType: string; text: string }>;
  /** Every data listener's connection cap and timeouts (Envoy's defaults where it has them). */
  downstream?: Partial<DownstreamLimits>;
  /** The process's overload monitor (one is made and started when absent; tests drive their own). */
  overload?: OverloadMonitor;
}

export interface RunningProxy {
  holder: SnapshotHolder;
  xds: XdsClient;
  identity: WorkloadIdentity | undefined;
  ports: Record<string, number>;
  close(): Promise<void>;
}

/** The credentials for the CA (no client certificate yet) and for discovery (the workload certificate). */
function discoveryTransports(options: ProxyOptions): { ca: DiscoveryTransport; discovery: DiscoveryTransport; identity?: MutableCertificateProvider } {
  const d = options.discovery;
  if (d.plaintext) {
    if (options.identity) throw new Error('plaintext discovery has no CA: a proxy with a bootstrap token gets its certificate over TLS; drop --plaintext-discovery, or the token');
    return { ca: { plaintext: true }, discovery: { plaintext: true } };
  }
  if (!options.identity) throw new Error('discovery runs over mutual TLS with the workload certificate: give the proxy its bootstrap token (--token-file), or use --plaintext-discovery against a control plane with --plaintext-xds-port (debugging only)');
  const roots = new MutableCertificateProvider();
  roots.setRoots(d.rootCertPem);
  const identity = new MutableCertificateProvider();
  const serverName = d.serverName ?? 'skiff-control-plane';
  return {
    ca: { credentials: mutualTlsChannelCredentials(roots, null), serverName },
    discovery: { credentials: mutualTlsChannelCredentials(roots, identity), serverName },
    identity,
  };
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const holder = new SnapshotHolder();
  const upstreamPools = new UpstreamPools();
  holder.onSwap((snapshot) => upstreamPools.retainOnly(snapshot.origins));
  const servers: Record<string, Server> = {};
  const { logger, bindHost } = options;
  const transports = discoveryTransports(options);
  const identity = options.identity
    ? new WorkloadIdentity({
        controlPlane: options.controlPlane,
        transport: transports.ca,
        trustDomain: options.identity.trustDomain,
        namespace: options.node.namespace,
        serviceAccount: options.node.serviceAccount,
        token: options.identity.token,
        ttlMs: options.identity.certTtlMs,
        logger,
      })
    : undefined;
  // New requests use pools with the new certificate; pools of the old one finish and close.
  identity?.onRotate((cert) => upstreamPools.retireTlsGenerationsBefore(cert.generation));
  // New discovery connections present the rotated certificate too.
  identity?.onRotate((cert) => transports.identity?.setIdentity(cert.tls.cert, cert.tls.key));
  const certificate = () => identity?.current;
  const self = { workload: options.node.id.split('.')[0] ?? options.node.id, namespace: options.node.namespace, app: options.node.labels['app'], version: options.node.labels['version'] };
  const observer = options.observer;
  let inboundStats: InboundStats | undefined;
  let inboundIsTcp = false;
  let appPoolStats: () => Record<string, unknown> = () => ({});
  // One overload monitor for the process; each data listener has its own guard.
  const overload = options.overload ?? new OverloadMonitor(logger);
  if (!options.overload) overload.start();
  const guards: Record<string, DownstreamGuard> = {};
  const guardFor = (name: string) => (guards[name] = new DownstreamGuard(name, logger, options.downstream, overload));

  try {
    if (options.outboundPort !== undefined) {
      servers['outbound'] = await startOutboundListener({
        host: bindHost,
        port: options.outboundPort,
        holder,
        pools: upstreamPools,
        logger,
        sourceLabels: options.node.labels,
        sourceNamespace: options.node.namespace,
        certificate,
        observer,
        tracer: options.tracer,
        self,
        ...(options.tcpObserver ? { tcpObserver: options.tcpObserver } : {}),
        guard: guardFor('outbound'),
      });
    }
    if (options.inboundPort !== undefined) {
      if (options.appPort === undefined) throw new Error('a sidecar with an inbound listener needs --app-port (the local app it fronts)');
      const appPortProtocol = portProtocol(options.node.servicePortName, options.node.appProtocol);
      const appHttpVersion = upstreamHttpVersion(appPortProtocol);
      inboundIsTcp = isTcpProtocol(appPortProtocol);
      const inbound = await startInboundListener({
        host: bindHost,
        port: options.inboundPort,
        appHost: options.appHost ?? '127.0.0.1',
        appPort: options.appPort,
        servicePort: options.node.servicePort,
        ...(appHttpVersion ? { appProtocol: appHttpVersion } : {}),
        holder,
        identity,
        logger,
        observer,
        tracer: options.tracer,
        self: { ...self, service: options.node.service },
        guard: guardFor('inbound'),
        carries: inboundIsTcp ? 'tcp' : appPortProtocol === 'UNKNOWN' ? 'sniffed' : 'http',
        ...(options.protocolDetectionTimeoutMs !== undefined ? { detectionTimeoutMs: options.protocolDetectionTimeoutMs } : {}),
        ...(options.tcpObserver ? { tcpObserver: options.tcpObserver } : {}),
      });
      servers['inbound'] = inbound.server;
      inboundStats = inbound.stats;
      appPoolStats = inbound.appPool;
    }
    for (const g of options.gatewayPorts ?? []) {
      servers[`gateway:${g.serverPort}`] = await startGatewayListener({
        host: bindHost,
        port: g.port,
        serverPort: g.serverPort,
        holder,
        pools: upstreamPools,
        logger,
        certificate,
        observer,
        tracer: options.tracer,
        self,
        credentialsDir: options.credentialsDir,
        guard: guardFor(`gateway:${g.serverPort}`),
        sourceLabels: options.node.labels,
        ...(options.tcpObserver ? { tcpObserver: options.tcpObserver } : {}),
      });
    }
  } catch (error) {
    overload.stop();
    await Promise.all(Object.values(servers).map(closeServer));
    throw error;
  }

  const onConnection = options.onConnection;
  if (onConnection) {
    // Counted on accept: the peer's identity is not known yet, this side's is. Connections the
    // TCP router owns are counted by its own report, with both ends known.
    for (const [name, server] of Object.entries(servers)) {
      const inbound = name === 'inbound';
      if (inbound && inboundIsTcp) continue;
      const connection = inbound ? { destination: { ...self, service: options.node.service } } : { source: self };
      server.on('connection', (socket: Socket) => {
        if (!isRoutedAsTcp(socket)) onConnection(inbound ? 'destination' : 'source', connection);
      });
    }
  }
  const ports = () => Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, boundPort(s)]));
  const node = { ...options.node };
  if (options.inboundPort !== undefined) node.inboundPort = ports()['inbound'] ?? options.inboundPort;
  const xds = new XdsClient({ controlPlane: options.controlPlane, transport: transports.discovery, node, holder, logger });
  const startedAt = new Date();
  servers['admin'] = await startAdminServer({ host: bindHost, port: options.adminPort, node, holder, xds: xds.status, listeners: ports, ...(options.appPort !== undefined ? { app: { host: options.appHost ?? '127.0.0.1', port: options.appPort } } : {}), startedAt, identity, inboundStats: () => inboundStats, downstream: () => ({ overload: overload.state, listeners: Object.fromEntries(Object.entries(guards).map(([name, g]) => [name, g.stats])) }), stats: options.stats, pools: () => ({ upstream: upstreamPools.stats(), app: appPoolStats() }) });
  node.adminPort = boundPort(servers['admin']);
  // The identity first: a proxy that serves before it has a certificate could only fail mTLS,
  // and discovery itself needs the certificate.
  if (identity) await identity.start();
  // Sidecars tell the control plane whether their app answers, so a dead app leaves the mesh.
  const probe = { ...DEFAULT_PROBE, probe: { kind: 'tcp' as const }, ...options.appProbe };
  const health =
    options.inboundPort !== undefined && options.appPort !== undefined
      ? new AppHealthChecker({ host: options.appHost ?? '127.0.0.1', port: options.appPort }, probe, (h) => {
          logger[h.healthy ? 'info' : 'warn']({ message: h.message }, h.healthy ? 'the app is healthy' : 'the app is unhealthy; the control plane marks this endpoint unhealthy');
          xds.setHealth(h);
        })
      : undefined;
  xds.start();
  health?.start();

  return {
    holder,
    xds,
    identity,
    ports: ports(),
    async close() {
      health?.stop();
      xds.stop();
      identity?.stop();
      overload.stop();
      await Promise.all(Object.values(servers).map(closeServer));
      await upstreamPools.closeAll();
    },
  };
}
