// skiff-gateway: the ingress gateway process.
import { startProxy } from '@skiff/dataplane';
import { childLifecycle } from '@skiff/launcher';
import { createLogger } from '@skiff/telemetry';
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
  const gateway = await startProxy({
    node: flags.node,
    controlPlane: flags.controlPlane,
    logger,
    ...(flags.identity ? { identity: flags.identity } : {}),
    bindHost: flags.bind,
    adminPort: flags.adminPort,
    gatewayPorts: flags.listeners,
  });
  logger.info({ ports: gateway.ports, controlPlane: flags.controlPlane }, 'gateway listening');
  childLifecycle({ close: () => gateway.close() });
} catch (error) {
  logger.fatal({ error: error instanceof Error ? error.message : String(error) }, 'gateway failed to start');
  process.exit(1);
}
