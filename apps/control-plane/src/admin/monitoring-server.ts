// The control plane's monitoring port (istiod's 15014): readiness, and debug views of the
// config in force, the validation messages, the registry and each proxy's sync state.
import { createServer, type Server } from 'node:http';
import { formatIssue, type ValidationIssue } from '@skiff/api';
import type { ConfigSet } from '../config/config-set.js';
import type { DiscoveryServer } from '../discovery/discovery-server.js';
import type { WorkloadRegistry } from '../discovery/registry.js';
import { computeSnapshot } from '../discovery/snapshot-source.js';
import type { TraceStore } from '@skiff/telemetry';
import { receiveOtlpTraces } from '../dashboard/otlp-receiver.js';
import type { TraceForwarder } from '../dashboard/trace-forwarder.js';
import { handleScenarioRequest, type ScenarioBoard } from '../dashboard/scenario-board.js';
import type { MeshToken } from './mesh-token.js';
import { handleTestIssuerRequest, type TestIssuer } from './test-issuer.js';

export interface MonitoringOptions {
  host: string;
  port: number;
  config: () => ConfigSet;
  /** Findings across files and against the registry (config/analysis.ts). */
  analysis?: () => readonly ValidationIssue[];
  configDir: string;
  registry: WorkloadRegistry;
  discovery: DiscoveryServer;
  startedAt: Date;
  /** Prometheus text for /metrics (istiod's names). */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  /** Spans sent to /v1/traces (OTLP/HTTP JSON) land here. */
  traces?: TraceStore;
  /** Also sends every export received at /v1/traces on to a collector. */
  forwardTraces?: TraceForwarder;
  /** Where `skiff scenario run` reports its progress for the dashboard (/debug/scenario). */
  scenarios?: ScenarioBoard;
  /** Who may write (POST /v1/traces, POST /debug/scenario, POST /test-issuer/token). */
  writes: MeshToken;
  /** Signs `skiff test --live`'s JWT claims; its keys at /test-issuer/jwks.json. */
  testIssuer?: TestIssuer;
  ca?: { trustDomain: string; rootCertPem: string; notAfter: Date; issued: Array<{ spiffeId: string; notAfter: string; issuedAt: string }> };
}

export function startMonitoringServer(options: MonitoringOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control-plane');
    const send = (status: number, body: unknown) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2) + '\n';
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if ((url.pathname === '/v1/traces' || url.pathname === '/debug/scenario' || url.pathname === '/test-issuer/token') && req.method === 'POST') {
      const verdict = options.writes.check(req.headers.authorization);
      if (!verdict.ok) {
        req.resume();
        res.writeHead(verdict.status, { 'content-type': 'application/json', ...(verdict.status === 401 ? { 'www-authenticate': 'Bearer realm="skiff-control-plane"' } : {}) });
        return res.end(JSON.stringify({ code: verdict.status === 401 ? 16 : 7, message: verdict.message }));
      }
    }
    if (url.pathname === '/v1/traces' && options.traces) return receiveOtlpTraces(options.traces, req, res, options.forwardTraces);
    if (url.pathname === '/debug/scenario' && options.scenarios) return handleScenarioRequest(options.scenarios, req, res);
    if ((url.pathname === '/test-issuer/jwks.json' || url.pathname === '/test-issuer/token') && options.testIssuer) return handleTestIssuerRequest(options.testIssuer, url.pathname, req, res);
    if (url.pathname === '/metrics' && options.metrics) {
      options.metrics().then(
        ({ contentType, text }) => {
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
          res.end(text);
        },
        (error: unknown) => send(500, `cannot collect metrics: ${String(error)}\n`),
      );
      return;
    }
    const config = options.config();
    switch (url.pathname) {
      case '/ready':
        return send(200, 'ready\n');
      case '/debug/configz':
        return send(200, {
          configDir: options.configDir,
          files: config.files,
          issues: config.issues.map((i) => ({ ...i, text: formatIssue(i) })),
          analysis: (options.analysis?.() ?? []).map((i) => ({ ...i, text: formatIssue(i) })),
          resources: config.resources,
        });
      case '/debug/registryz':
        return send(200, options.registry.list());
      case '/debug/syncz':
        return send(
          200,
          [...options.discovery.connections].map((c) => ({
            proxy: c.workload.id,
            kind: c.workload.kind,
            identity: c.identity ?? null,
            peer: c.peer,
            ...(c.health ? { appHealth: c.health } : {}),
            connectedAt: c.connectedAt,
            sent: c.sentVersion,
            acked: c.ackedVersion,
            synced: c.sentVersion === c.ackedVersion,
            pushes: c.pushes,
            nacks: c.nacks,
            lastNack: c.lastNack,
            lastPushLatencyMs: c.lastPushLatencyMs,
          })),
        );
      case '/debug/snapshot': {
        const id = url.searchParams.get('proxy');
        const workload = id ? options.registry.get(id) : undefined;
        if (!workload) return send(404, `unknown proxy "${id ?? ''}"; see /debug/syncz for connected proxies\n`);
        const computed = computeSnapshot(options.discovery.prepare(), workload);
        return send(200, { version: computed.version, warnings: computed.warnings, snapshot: JSON.parse(computed.json) });
      }
      case '/debug/certz':
        return send(200, options.ca ? { trustDomain: options.ca.trustDomain, rootNotAfter: options.ca.notAfter.toISOString(), issued: options.ca.issued } : { error: 'no CA' });
      case '/root-cert.pem':
        return send(200, options.ca?.rootCertPem ?? '');
      case '/version':
        return send(200, { component: 'skiff-control-plane', version: '0.1.0', startedAt: options.startedAt.toISOString() });
      case '/':
        return send(200, 'Skiff control plane: /ready /metrics /debug/configz /debug/registryz /debug/syncz /debug/snapshot?proxy=<id> /debug/certz /debug/scenario /root-cert.pem /version /test-issuer/jwks.json, and POST /v1/traces (OTLP/HTTP JSON), POST /test-issuer/token (mesh token)\n');
      default:
        return send(404, `unknown path ${url.pathname}; see /\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`monitoring server cannot bind ${options.host}:${options.port}: ${error.code ?? error.message}`)));
    server.listen(options.port, options.host, () => resolve(server));
  });
}
