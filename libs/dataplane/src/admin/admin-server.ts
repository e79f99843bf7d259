// The proxy's admin port (Envoy's 15000): readiness for probes and the launcher, and the
// config in force for `skiff proxy-config` and the dashboard.
import type { Server } from 'node:http';
import type { WorkloadInfo } from '@skiff/api';
import { listen } from '../core/listen.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import type { XdsStatus } from '../core/xds-client.js';
import type { InboundStats } from '../inbound/inbound-listener.js';
import type { WorkloadIdentity } from '../security/identity.js';

export interface AdminOptions {
  host: string;
  port: number;
  node: WorkloadInfo;
  holder: SnapshotHolder;
  xds: XdsStatus;
  listeners: () => Record<string, number>;
  /** Sidecar only: the app its inbound listener forwards to (Envoy's inbound cluster). */
  app?: { host: string; port: number };
  startedAt: Date;
  identity?: WorkloadIdentity;
  inboundStats?: () => InboundStats | undefined;
  /** Connection pools to upstreams and to the local app, by pool key. */
  pools?: () => Record<string, unknown>;
  /** Each data listener's connection counts and refusals, and the overload state. */
  downstream?: () => unknown;
  /** Prometheus text (Istio metrics) for /stats/prometheus, as Envoy's admin serves it. */
  stats?: () => Promise<{ contentType: string; text: string }>;
}

function json(body: unknown): { type: string; text: string } {
  return { type: 'application/json', text: JSON.stringify(body, null, 2) + '\n' };
}

export function startAdminServer(options: AdminOptions): Promise<Server> {
  return listen('admin', options.host, options.port, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/stats/prometheus' && options.stats) {
      options.stats().then(
        ({ contentType, text }) => {
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`cannot collect metrics: ${String(error)}\n`);
        },
      );
      return;
    }
    const snapshot = options.holder.current;
    let status = 200;
    let out: { type: string; text: string };
    switch (path) {
      case '/ready': {
        // Ready once a config (and, with mTLS, a certificate) is in force: before that the proxy could only fail.
        const needsCert = options.identity !== undefined && options.identity.current === undefined;
        status = snapshot && !needsCert ? 200 : 503;
        out = { type: 'text/plain', text: status === 200 ? 'LIVE\n' : needsCert ? 'PRE_INITIALIZING: waiting for a certificate from the CA\n' : 'PRE_INITIALIZING: waiting for config from the control plane\n' };
        break;
      }
      case '/certs':
        // Like Envoy's /certs and `istioctl proxy-config secret`: identity, validity, rotation. Never the key.
        out = json({
          identity: options.identity?.status ?? null,
          chain: options.identity?.current?.chainPem ?? [],
          inbound: options.inboundStats?.() ?? null,
          peerAuthentication: snapshot ? { mode: snapshot.peerAuthMode([options.node.servicePort]) } : null,
        });
        break;
      case '/config_dump':
        out = json({ node: options.node, xds: options.xds, listeners: options.listeners(), app: options.app ?? null, identity: options.identity?.status ?? null, snapshot: snapshot?.raw ?? null });
        break;
      case '/clusters':
        out = json(
          [...(snapshot?.clusters.values() ?? [])].map((c) => ({
            name: c.name,
            loadBalancer: c.policy.loadBalancer.kind,
            circuitBreaker: { active: c.breaker.active, overflows: c.breaker.overflows },
            outlierDetection: c.detector ? c.detector.stats : undefined,
            endpoints: c.endpoints.map((e) => ({
              address: `${e.endpoint.address}:${e.endpoint.port}`,
              workload: e.endpoint.workload,
              labels: e.endpoint.labels,
              health: !e.healthy ? 'UNHEALTHY' : c.detector?.isEjected(e) ? 'EJECTED' : 'HEALTHY',
              active: e.active,
            })),
          })),
        );
        break;
      case '/listeners':
        // Envoy's downstream_cx_* listener stats and the overload manager's state, in one view.
        out = json(options.downstream?.() ?? {});
        break;
      case '/pools':
        // Envoy shows these per cluster in /clusters (cx_active, rq_pending…); undici keeps them per pool.
        out = json(options.pools?.() ?? {});
        break;
      case '/memory': {
        // Envoy's /memory, in Node's terms (bytes).
        const m = process.memoryUsage();
        out = json({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers });
        break;
      }
      case '/server_info':
        out = json({ node: options.node, version: snapshot?.version ?? '', state: snapshot ? 'LIVE' : 'PRE_INITIALIZING', uptimeSeconds: Math.round((Date.now() - options.startedAt.getTime()) / 1000), xds: options.xds });
        break;
      case '/':
        out = { type: 'text/plain', text: 'Skiff proxy admin: /ready /config_dump /clusters /listeners /pools /memory /certs /server_info /stats/prometheus\n' };
        break;
      default:
        status = 404;
        out = { type: 'text/plain', text: `unknown admin path ${path}; try /config_dump\n` };
    }
    res.writeHead(status, { 'content-type': out.type, 'content-length': Buffer.byteLength(out.text) });
    res.end(out.text);
  });
}
