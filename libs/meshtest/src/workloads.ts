// Finding a workload by what a user writes: its id ("reviews-v1.default"), its name
// ("reviews-v1"), "gateway" for the only gateway, or a service with a single workload ("ratings").
import type { WorkloadInfo } from '@skiff/api';

/** "frontend.default" -> "frontend". */
export function shortName(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

export function describeWorkloads(workloads: readonly WorkloadInfo[]): string {
  if (workloads.length === 0) return '(none: no proxy is connected)';
  return workloads.map((w) => (w.kind === 'gateway' ? `gateway (${w.id})` : `${shortName(w.id)} (${w.id})`)).join(', ');
}

/** The workload, or a message naming the candidates. */
export function findWorkload(query: string, workloads: readonly WorkloadInfo[]): WorkloadInfo | string {
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
    if (found.length > 1) return `"${query}" matches ${found.map((w) => w.id).join(', ')}; name one of them`;
  }
  return `unknown workload "${query}"; known workloads: ${describeWorkloads(workloads)}`;
}
