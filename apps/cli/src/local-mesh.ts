// What the CLI knows about the local mesh `skiff up` starts without asking it: the sample
// workloads, the ids their proxies announce, and where their admin ports are. Used for
// `skiff proxy-config <workload>` and for `skiff simulate` when no control plane is running.
import type { WorkloadInfo } from '@skiff/api';
import { fixedPorts, SAMPLE_WORKLOADS } from '@skiff/launcher';
import { UsageError } from './usage-error.js';

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

/** Same rule as `skiff up --port-offset`. */
export function parsePortOffset(value: string | undefined): number {
  const offset = Number(value ?? 0);
  if (!Number.isInteger(offset) || offset < 0 || offset > 40000) throw new UsageError(`--port-offset must be a whole number 0-40000, got "${value}"`);
  return offset;
}

/** "frontend.default" -> "frontend". */
export function shortName(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

/**
 * Finds a workload by what a user would type: its id ("reviews-v1.default"), its short name
 * ("reviews-v1"), "gateway" for the only gateway, or a service name with a single workload
 * ("ratings"). Anything else is a UsageError that lists the known workloads.
 */
export function resolveWorkload(query: string, workloads: readonly WorkloadInfo[]): WorkloadInfo {
  const q = query.toLowerCase();
  const byId = workloads.find((w) => w.id.toLowerCase() === q);
  if (byId) return byId;
  const candidates = [
    workloads.filter((w) => shortName(w.id).toLowerCase() === q),
    q === 'gateway' || q === 'ingressgateway' ? workloads.filter((w) => w.kind === 'gateway') : [],
    workloads.filter((w) => w.service.toLowerCase() === q),
  ];
  for (const found of candidates) {
    if (found.length === 1) return found[0] as WorkloadInfo;
    if (found.length > 1) throw new UsageError(`"${query}" matches ${found.map((w) => w.id).join(', ')}; name one of them`);
  }
  throw new UsageError(`unknown workload "${query}"; known workloads: ${describeWorkloads(workloads)}`);
}

export function describeWorkloads(workloads: readonly WorkloadInfo[]): string {
  if (workloads.length === 0) return '(none: no proxy is connected)';
  return workloads.map((w) => (w.kind === 'gateway' ? `gateway (${w.id})` : `${shortName(w.id)} (${w.id})`)).join(', ');
}
