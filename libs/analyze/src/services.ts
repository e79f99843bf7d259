// The registry a control plane serves at /debug/registryz (one entry per proxy) -> the services
// analyze checks against: one per service FQDN, with its ports and each workload's labels.
import { serviceFqdn, type WorkloadInfo } from '@skiff/api';
import type { KnownService } from './context.js';

export function servicesFromWorkloads(workloads: readonly WorkloadInfo[]): KnownService[] {
  const byHost = new Map<string, KnownService>();
  for (const w of workloads) {
    if (w.kind !== 'sidecar') continue; // gateways route; they are not destinations (as in configgen)
    const host = serviceFqdn(w.service, w.namespace);
    let service = byHost.get(host);
    if (!service) byHost.set(host, (service = { host, ports: [], labels: [] }));
    if (!service.ports.includes(w.servicePort)) service.ports.push(w.servicePort);
    service.labels.push({ ...w.labels });
  }
  const services = [...byHost.values()];
  for (const s of services) s.ports.sort((a, b) => a - b);
  return services.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
