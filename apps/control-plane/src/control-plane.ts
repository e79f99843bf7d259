// Wires the control plane: file source, registry, discovery server, monitoring server.
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { formatIssue } from '@skiff/api';
import type { Logger } from '@skiff/telemetry';
import { startMonitoringServer } from './admin/monitoring-server.js';
import { FileConfigSource, type ConfigSet } from './config/file-source.js';
import { DiscoveryServer } from './discovery/discovery-server.js';
import { WorkloadRegistry } from './discovery/registry.js';
import type { ControlPlaneFlags } from './flags.js';

export interface RunningControlPlane {
  ports: { xds: number; monitoring: number };
  config(): ConfigSet;
  discovery: DiscoveryServer;
  close(): Promise<void>;
}

export async function startControlPlane(flags: ControlPlaneFlags, logger: Logger): Promise<RunningControlPlane> {
  const registry = new WorkloadRegistry(flags.graceMs);
  let current: ConfigSet = { resources: [], issues: [], files: [] };
  // The discovery server needs the loaded config, and the file source needs to tell it about changes.
  const late: { discovery?: DiscoveryServer } = {};
  const source = new FileConfigSource(resolve(flags.configDir), (set, changed) => {
    current = set;
    const fresh = set.issues.filter((i) => changed.some((f) => i.file.endsWith(f)));
    for (const issue of fresh) logger[issue.severity === 'error' ? 'error' : 'warn']({ issue }, formatIssue(issue));
    const rejected = set.files.filter((f) => f.rejected && changed.some((c) => f.file.endsWith(c)));
    for (const f of rejected) logger.error({ file: f.file }, `${f.file} rejected; its last good version stays in force`);
    logger.info({ changed, resources: set.resources.length }, 'config changed');
    late.discovery?.schedulePush(0);
  });
  current = await source.start();
  const discovery = new DiscoveryServer({ registry, logger, resources: () => current.resources, warmupUntil: Date.now() + flags.warmupMs });
  late.discovery = discovery;
  let monitoring: Server | undefined;
  try {
    const xds = await discovery.listen(`${flags.bind}:${flags.xdsPort}`);
    monitoring = await startMonitoringServer({ host: flags.bind, port: flags.monitoringPort, config: () => current, configDir: flags.configDir, registry, discovery, startedAt: new Date() });
    const address = monitoring.address();
    const ports = { xds, monitoring: typeof address === 'object' && address ? address.port : flags.monitoringPort };
    const running = discovery;
    return {
      ports,
      config: () => current,
      discovery: running,
      async close() {
        await source.stop();
        registry.stop();
        await running.close();
        await new Promise<void>((r) => monitoring?.close(() => r()));
      },
    };
  } catch (error) {
    await source.stop();
    await discovery.close();
    monitoring?.close();
    throw error;
  }
}
