// The service registry, derived from the workloads that announced themselves: every distinct
// (service, namespace) among sidecars is a service, and its workloads are its endpoints.
import { DEFAULT_TRUST_DOMAIN, portProtocol, serviceFqdn, type Endpoint, type Loaded, type PortProtocol, type ServiceEntry, type WorkloadInfo } from '@skiff/api';
import { describeResource } from './describe.js';
import { compareKeys, compareStrings, sortedRecord } from './order.js';
import { workloadIdentity } from './security.js';

export interface ServiceInfo {
  name: string;
  namespace: string;
  fqdn: string;
  /** Distinct service ports, ascending. Normally one (the samples use 9080). */
  ports: number[];
  /** Endpoints per service port, sorted by workload id. */
  endpoints: ReadonlyMap<number, Endpoint[]>;
  /** Each port's protocol, from the name or appProtocol its workloads announced (the first to name one stands). */
  protocols: ReadonlyMap<number, PortProtocol>;
  /** Present for a host a ServiceEntry adds (no sidecar in front of it: callers speak to it as it is). */
  external?: { resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN'; location: 'MESH_EXTERNAL' | 'MESH_INTERNAL'; entry: string };
}

/**
 * The hosts ServiceEntries add to the registry, one service per host: its ports with their
 * protocols, and endpoints as the resolution says (STATIC: the listed addresses; DNS: the listed
 * names, or the host itself; NONE: none, each request goes where its caller sent it). A host a
 * workload already serves, or an earlier entry already added, is reported and skipped (silently
 * for an entry whose workloadSelector picks the workloads that serve it).
 */
export function buildExternalServices(entries: readonly Loaded<ServiceEntry>[], taken: ReadonlySet<string>, warn: (message: string) => void): ServiceInfo[] {
  const out = new Map<string, ServiceInfo>();
  for (const entry of entries) {
    const resolution = entry.spec.resolution ?? 'NONE';
    for (const rawHost of entry.spec.hosts) {
      const host = rawHost.toLowerCase();
      // An entry with a workloadSelector declares the service its selected workloads serve; once
      // their sidecars announce it, the registry has it, and the entry's copy is not needed.
      if (taken.has(host) && entry.spec.workloadSelector) continue;
      if (taken.has(host) || out.has(host)) {
        warn(`${describeResource(entry)}: host ${host} is already in the registry (${out.get(host)?.external?.entry ?? 'a workload serves it'}); this entry's copy is ignored.`);
        continue;
      }
      const ports = (entry.spec.ports ?? []).map((p) => p.number).sort((a, b) => a - b);
      const protocols = new Map<number, PortProtocol>();
      const endpoints = new Map<number, Endpoint[]>();
      for (const port of entry.spec.ports ?? []) {
        protocols.set(port.number, portProtocol(port.name, port.protocol));
        const target = port.targetPort ?? port.number;
        const listed = entry.spec.endpoints ?? [];
        const list: Endpoint[] =
          resolution === 'NONE'
            ? []
            : listed.length > 0
              ? listed.map((e) => ({ address: e.address, port: e.ports?.[port.name] ?? target, workload: 'unknown', labels: sortedRecord(e.labels ?? {}), tlsMode: 'disabled' as const }))
              : [{ address: host, port: target, workload: 'unknown', labels: {}, tlsMode: 'disabled' as const }];
        endpoints.set(port.number, list);
      }
      out.set(host, { name: host, namespace: entry.metadata.namespace, fqdn: host, ports, endpoints, protocols, external: { resolution, location: entry.spec.location ?? 'MESH_EXTERNAL', entry: describeResource(entry) } });
    }
  }
  return [...out.values()];
}

export function buildServiceRegistry(
  workloads: readonly WorkloadInfo[],
  options: { trustDomain?: string; tlsModeFor?: (workload: WorkloadInfo) => 'istio' | 'disabled' } = {},
): ServiceInfo[] {
  const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const byFqdn = new Map<string, { name: string; namespace: string; workloads: WorkloadInfo[] }>();
  for (const w of workloads) {
    if (w.kind !== 'sidecar') continue;
    const fqdn = serviceFqdn(w.service, w.namespace);
    let entry = byFqdn.get(fqdn);
    if (!entry) byFqdn.set(fqdn, (entry = { name: w.service, namespace: w.namespace, workloads: [] }));
    entry.workloads.push(w);
  }
  const services: ServiceInfo[] = [];
  for (const [fqdn, entry] of byFqdn) {
    const sorted = [...entry.workloads].sort((a, b) => compareKeys([a.id, a.address, a.inboundPort], [b.id, b.address, b.inboundPort]));
    const endpoints = new Map<number, Endpoint[]>();
    const protocols = new Map<number, PortProtocol>();
    const seen = new Set<string>();
    for (const w of sorted) {
      if (!protocols.has(w.servicePort) || protocols.get(w.servicePort) === 'UNKNOWN') protocols.set(w.servicePort, portProtocol(w.servicePortName, w.appProtocol));
      // Two streams for one instance (a proxy reconnecting before its old stream is gone) are one endpoint.
      const where = `${w.servicePort} ${w.address} ${w.inboundPort}`;
      if (seen.has(where)) continue;
      seen.add(where);
      let list = endpoints.get(w.servicePort);
      if (!list) endpoints.set(w.servicePort, (list = []));
      // Every registered workload runs a sidecar, so callers use Istio mTLS to it (auto mTLS),
      // unless its PeerAuthentication is DISABLE: then, as istiod does, callers send plaintext.
      const tlsMode = options.tlsModeFor?.(w) ?? 'istio';
      list.push({ address: w.address, port: w.inboundPort, workload: w.id, labels: sortedRecord(w.labels), identity: workloadIdentity(trustDomain, w.namespace, w.serviceAccount), tlsMode, ...(w.healthy === false ? { healthy: false as const } : {}) });
    }
    const ports = [...endpoints.keys()].sort((a, b) => a - b);
    services.push({ name: entry.name, namespace: entry.namespace, fqdn, ports, endpoints, protocols });
  }
  return services.sort((a, b) => compareStrings(a.fqdn, b.fqdn));
}
