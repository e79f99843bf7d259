// skiff-control-plane: config source -> validation -> registry -> per-proxy snapshots -> push.
import { formatIssue } from '@skiff/api';
import { childLifecycle } from '@skiff/launcher';
import { createLogger } from '@skiff/telemetry';
import { startControlPlane } from './control-plane.js';
import { HELP, parseControlPlaneFlags } from './flags.js';

let flags;
try {
  flags = parseControlPlaneFlags(process.argv.slice(2));
} catch (error) {
  console.error(`skiff-control-plane: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
if (flags === 'help') {
  console.log(HELP);
  process.exit(0);
}
const logger = createLogger('control-plane');
try {
  const cp = await startControlPlane(flags, logger);
  const config = cp.config();
  for (const issue of config.issues) logger[issue.severity === 'error' ? 'error' : 'warn']({ issue }, formatIssue(issue));
  logger.info({ xds: `${flags.bind}:${cp.ports.xds}`, monitoring: `http://${flags.bind}:${cp.ports.monitoring}/`, ...(cp.ports.dashboard ? { dashboard: `http://${flags.bind}:${cp.ports.dashboard}/` } : {}), resources: config.resources.length }, 'control plane ready');
  childLifecycle({ close: () => cp.close() });
} catch (error) {
  logger.fatal({ error: error instanceof Error ? error.message : String(error) }, 'control plane failed to start');
  process.exit(1);
}
