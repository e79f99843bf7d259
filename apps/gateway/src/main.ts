// skiff-gateway: the ingress gateway process.
import { loadDiscoveryOptions, startProxy } from '@skiff/dataplane';
import { childLifecycle } from '@skiff/launcher';
import { createLogger, startProxyTelemetry } from '@skiff/telemetry';
import { HELP, parseGatewayFlags } from './flags.js';

let flags;
try {
  flags = parseGatewayFlags(process.argv.slice(2));
} catch (error) {
  console.error(`skiff-gateway: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
if (flags === 'help') {
  console.log(HELP);
  process.exit(0);
}
const logger = createLogger('gateway', { workload: flags.node.id });
try {
  // Istio metrics on the metrics port (and the admin port's /stats/prometheus), optional access log.
  const telemetry = await startProxyTelemetry({ logger, host: flags.bind, metricsPort: flags.metricsPort, accessLog: flags.accessLog,
    tracing: { ...flags.tracing, serviceName: `${flags.node.labels['app'] ?? flags.node.service}.${flags.node.namespace}`, nodeId: flags.node.id },
  });
  const gateway = await startProxy({
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
    gatewayPorts: flags.listeners,
    credentialsDir: flags.credentialsDir,
  });
  logger.info({ ports: { ...gateway.ports, metrics: telemetry.metricsPort }, controlPlane: flags.controlPlane }, 'gateway listening');
  childLifecycle({ close: () => gateway.close().then(() => telemetry.close()) });
} catch (error) {
  logger.fatal({ error: error instanceof Error ? error.message : String(error) }, 'gateway failed to start');
  process.exit(1);
}
