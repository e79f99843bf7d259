// skiff-proxy: the sidecar process. Thin: flags in, engine from @skiff/dataplane, clean exit.
import { loadDiscoveryOptions, startProxy } from '@skiff/dataplane';
import { childLifecycle } from '@skiff/launcher';
import { createLogger, startProxyTelemetry } from '@skiff/telemetry';
import { HELP, parseProxyFlags } from './flags.js';

let flags;
try {
  flags = parseProxyFlags(process.argv.slice(2));
} catch (error) {
  console.error(`skiff-proxy: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
if (flags === 'help') {
  console.log(HELP);
  process.exit(0);
}
const logger = createLogger('proxy', { workload: flags.node.id });
try {
  // Istio metrics on the metrics port (and the admin port's /stats/prometheus), optional access log.
  const telemetry = await startProxyTelemetry({ logger, host: flags.bind, metricsPort: flags.metricsPort, accessLog: flags.accessLog,
    tracing: { ...flags.tracing, serviceName: `${flags.node.labels['app'] ?? flags.node.service}.${flags.node.namespace}`, nodeId: flags.node.id },
  });
  const proxy = await startProxy({
    observer: telemetry.observer,
    tracer: telemetry.tracer,
    onConnection: telemetry.onConnection,
    tcpObserver: telemetry.tcpObserver,
    stats: telemetry.stats,
    node: flags.node,
    controlPlane: flags.controlPlane,
    discovery: await loadDiscoveryOptions(flags.discovery, logger),
    downstream: flags.downstream,
    logger,
    ...(flags.identity ? { identity: flags.identity } : {}),
    bindHost: flags.bind,
    adminPort: flags.adminPort,
    outboundPort: flags.outboundPort,
    inboundPort: flags.inboundPort,
    appHost: flags.appHost,
    appPort: flags.appPort,
    appProbe: flags.appProbe,
    ...(flags.protocolDetectionTimeoutMs !== undefined ? { protocolDetectionTimeoutMs: flags.protocolDetectionTimeoutMs } : {}),
  });
  logger.info({ ports: { ...proxy.ports, metrics: telemetry.metricsPort }, controlPlane: flags.controlPlane }, 'proxy listening');
  childLifecycle({ close: () => proxy.close().then(() => telemetry.close()) });
} catch (error) {
  logger.fatal({ error: error instanceof Error ? error.message : String(error) }, 'proxy failed to start');
  process.exit(1);
}
