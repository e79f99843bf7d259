// What the CLI knows about the local mesh `skiff up` starts without asking it: the sample
// workloads, the ids their proxies announce, and where their admin ports are. Used for
// `skiff proxy-config <workload>` and for `skiff simulate` when no control plane is running.
import type { WorkloadInfo } from '@skiff/api';
import { fixedPorts, SAMPLE_WORKLOADS } from '@skiff/launcher';
import { UsageError } from './usage-error.js';
import { describeWorkloads, findWorkload, shortName } from '@skiff/meshtest';

export const LOCAL_HOST = '127.0.0.1';
export const GATEWAY_NAME = 'istio-ingressgateway';
export const GATEWAY_NAMESPACE = 'istio-system';
export const SAMPLE_NAMESPACE = 'default';

export interface LocalWorkload {
  /** What users type: "frontend", "reviews-v1", "istio-ingressgateway". */
  name: string;
  /** As the proxy announces itself to the control plane (same flags as mesh-plan.ts). */
  info: WorkloadInfo;
  adminUrl: string;
}

/** The gateway and the sample workloads with the ports `skiff up --port-offset <offset>` gives them. */
export function localWorkloads(offset = 0): LocalWorkload[] {
  const ports = fixedPorts(offset);
  const gateway: LocalWorkload = {
    name: GATEWAY_NAME,
    info: {
      id: `${GATEWAY_NAME}.${GATEWAY_NAMESPACE}`,
      kind: 'gateway',
      service: GATEWAY_NAME,
      namespace: GATEWAY_NAMESPACE,
      serviceAccount: `${GATEWAY_NAME}-service-account`,
      labels: { istio: 'ingressgateway' },
      address: LOCAL_HOST,
      inboundPort: 0,
      servicePort: 0,
    },
    adminUrl: `http://${LOCAL_HOST}:${ports.gatewayAdmin}`,
  };
  const samples = SAMPLE_WORKLOADS.map((w): LocalWorkload => {
    const p = ports.workloads[w.name];
    if (!p) throw new Error(`launcher has no ports for sample workload ${w.name}`);
    return {
      name: w.name,
      info: {
        id: `${w.name}.${SAMPLE_NAMESPACE}`,
        kind: 'sidecar',
        service: w.service,
        namespace: SAMPLE_NAMESPACE,
        serviceAccount: w.service,
        labels: { version: w.version ?? 'v1', app: w.service },
        address: LOCAL_HOST,
        inboundPort: p.inbound,
        servicePort: w.servicePort,
      },
      adminUrl: `http://${LOCAL_HOST}:${p.admin}`,
    };
  });
  return [gateway, ...samples];
}

/** The control plane's debug port (15014 + offset). */
export function localControlPlaneUrl(offset = 0): string {
  return `http://${LOCAL_HOST}:${fixedPorts(offset).monitoring}`;
}

/** A --control-plane flag: the control plane's monitoring URL, http(s), without a trailing slash. */
export function controlPlaneUrlFlag(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return value.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--control-plane must be an http:// URL such as http://127.0.0.1:15014, got "${value}"`);
  }
}

/** Same rule as `skiff up --port-offset`. */
export function parsePortOffset(value: string | undefined): number {
  const offset = Number(value ?? 0);
  if (!Number.isInteger(offset) || offset < 0 || offset > 40000) throw new UsageError(`--port-offset must be a whole number 0-40000, got "${value}"`);
  return offset;
}

/**
 * Finds a workload by what a user would type (@skiff/meshtest's findWorkload); anything unknown
 * or ambiguous is a UsageError that lists the known workloads.
 */
export function resolveWorkload(query: string, workloads: readonly WorkloadInfo[]): WorkloadInfo {
  const found = findWorkload(query, workloads);
  if (typeof found === 'string') throw new UsageError(found);
  return found;
}

export { describeWorkloads, shortName };
