// Wires one proxy together: discovery client, snapshot holder, listeners, admin. A sidecar has
// outbound + inbound listeners; a gateway has one listener per Gateway server port.
import type { Server } from 'node:http';
import type { WorkloadInfo } from '@skiff/api';
import type { Logger } from '@skiff/telemetry';
import { startAdminServer } from './admin/admin-server.js';
import { boundPort, closeServer } from './core/listen.js';
import { SnapshotHolder } from './core/snapshot-holder.js';
import { UpstreamPools } from './core/upstream-pools.js';
import { XdsClient } from './core/xds-client.js';
import { startGatewayListener } from './gateway/gateway-listener.js';
import { startInboundListener } from './inbound/inbound-listener.js';
import { startOutboundListener } from './outbound/outbound-listener.js';

export interface ProxyOptions {
  node: WorkloadInfo;
  controlPlane: string;
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
}

export interface RunningProxy {
  holder: SnapshotHolder;
  xds: XdsClient;
  ports: Record<string, number>;
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const holder = new SnapshotHolder();
  const upstreamPools = new UpstreamPools();
  const appPools = new UpstreamPools();
  holder.onSwap((snapshot) => upstreamPools.retainOnly(snapshot.origins));
  const servers: Record<string, Server> = {};
  const { logger, bindHost } = options;

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
      });
    }
    if (options.inboundPort !== undefined) {
      if (options.appPort === undefined) throw new Error('a sidecar with an inbound listener needs --app-port (the local app it fronts)');
      servers['inbound'] = await startInboundListener({ host: bindHost, port: options.inboundPort, appHost: options.appHost ?? '127.0.0.1', appPort: options.appPort, pools: appPools, logger });
    }
    for (const g of options.gatewayPorts ?? []) {
      servers[`gateway:${g.serverPort}`] = await startGatewayListener({ host: bindHost, port: g.port, serverPort: g.serverPort, holder, pools: upstreamPools, logger });
    }
  } catch (error) {
    await Promise.all(Object.values(servers).map(closeServer));
    throw error;
  }

  const ports = () => Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, boundPort(s)]));
  const node = { ...options.node };
  if (options.inboundPort !== undefined) node.inboundPort = ports()['inbound'] ?? options.inboundPort;
  const xds = new XdsClient({ controlPlane: options.controlPlane, node, holder, logger });
  const startedAt = new Date();
  servers['admin'] = await startAdminServer({ host: bindHost, port: options.adminPort, node, holder, xds: xds.status, listeners: ports, startedAt });
  xds.start();

  return {
    holder,
    xds,
    ports: ports(),
    async close() {
      xds.stop();
      await Promise.all(Object.values(servers).map(closeServer));
      await Promise.all([upstreamPools.closeAll(), appPools.closeAll()]);
    },
  };
}
