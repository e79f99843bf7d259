// Everything a proxy process reports, wired once so the proxy and gateway apps stay thin:
// Istio metrics (served on the metrics port and, through `stats`, on the admin port) and the
// optional access log, combined into the one observer the data plane calls per request, and
// the OpenTelemetry tracer that makes a span per hop when a trace endpoint is configured.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { createAccessLogger, tcpAccessLogRecord, type AccessLogMode } from './access-log.js';
import { startMetricsServer, prometheusText, type PrometheusText } from './metrics/metrics-server.js';
import { createProxyMetrics, type ProxyMetrics } from './metrics/proxy-metrics.js';
import type { ObservedConnection, ObservedRequest, ObservedTcpConnection, Reporter } from './metrics/observed-request.js';
import type { HopTracer } from './tracing/hop-tracer.js';
import type { ProxyTracing } from './tracing/proxy-tracing.js';
import { loadProxyTracing } from './tracing/index.js';
import type { TracingFlags } from './tracing/tracing-flags.js';

export interface ProxyTelemetryOptions {
  logger: Logger;
  /** Address the metrics port binds. */
  host: string;
  /** Istio's 15090; 0 picks a free port; undefined: no dedicated metrics port. */
  metricsPort?: number;
  accessLog: AccessLogMode;
  /** Spans per hop when `endpoint` is set; `serviceName` is Istio's "<app>.<namespace>". */
  tracing?: TracingFlags & { serviceName: string; nodeId: string };
}

export interface ProxyTelemetry {
  metrics: ProxyMetrics;
  observer: (event: ObservedRequest) => void;
  onConnection: (reporter: Reporter, connection?: ObservedConnection) => void;
  /** A proxied TCP connection opened or closed: istio_tcp_* metrics, and an access-log line on close. */
  tcpObserver: (event: ObservedTcpConnection) => void;
  /** Prometheus text, for the admin port's /stats/prometheus. */
  stats: () => Promise<PrometheusText>;
  /** Undefined when tracing is off. */
  tracer: HopTracer | undefined;
  /** The bound metrics port, if one was asked for. */
  metricsPort: number | undefined;
  close(): Promise<void>;
}

/** "authorization: Bearer <token>" from a file read at each export; an unreadable file is said once. */
function bearerFromFile(file: string, logger: Logger): () => Promise<Record<string, string>> {
  let warned = false;
  return async (): Promise<Record<string, string>> => {
    try {
      return { authorization: `Bearer ${(await readFile(file, 'utf8')).trim()}` };
    } catch (error) {
      if (!warned) logger.warn({ file, error: String(error) }, 'tracing: cannot read --trace-token-file; spans go without it and a control plane refuses them');
      warned = true;
      return {};
    }
  };
}

export async function startProxyTelemetry(options: ProxyTelemetryOptions): Promise<ProxyTelemetry> {
  const registry = new Registry();
  const metrics = createProxyMetrics(registry);
  const accessLog = options.accessLog === 'stdout' ? createAccessLogger(options.logger) : undefined;
  const tcpAccessLog = options.logger.child({ log: 'access' });
  const observer = accessLog
    ? (event: ObservedRequest) => {
        metrics.observe(event);
        accessLog(event);
      }
    : (event: ObservedRequest) => metrics.observe(event);
  const tracing: ProxyTracing | undefined = options.tracing?.endpoint
    ? (await loadProxyTracing()).createProxyTracing({
        serviceName: options.tracing.serviceName,
        nodeId: options.tracing.nodeId,
        endpoint: options.tracing.endpoint,
        samplingPercent: options.tracing.samplingPercent,
        ...(options.tracing.tokenFile ? { headers: bearerFromFile(options.tracing.tokenFile, options.logger) } : {}),
      })
    : undefined;
  const server: Server | undefined = options.metricsPort === undefined ? undefined : await startMetricsServer({ host: options.host, port: options.metricsPort, registry });
  return {
    metrics,
    observer,
    onConnection: (reporter, connection) => metrics.onConnection(reporter, connection),
    tcpObserver: accessLog
      ? (event) => {
          metrics.observeTcp(event);
          if (event.phase === 'close') tcpAccessLog.info(tcpAccessLogRecord(event));
        }
      : (event) => metrics.observeTcp(event),
    stats: () => prometheusText(registry),
    tracer: tracing?.tracer,
    metricsPort: server ? (server.address() as AddressInfo).port : undefined,
    async close() {
      // Spans still batched are sent before the process goes; a dead collector must not hold it.
      await Promise.race([tracing?.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
