import type { WorkloadInfo } from '@skiff/api';
import type { NodeMessage } from '@skiff/protocol';

/** Checks what a proxy announced; returns an error message a proxy operator can act on. */
export function workloadFromNode(node: NodeMessage | null | undefined): WorkloadInfo | string {
  if (!node) return 'the first request on a discovery stream must carry the node';
  if (!node.id) return 'node.id is empty';
  if (node.kind !== 'sidecar' && node.kind !== 'gateway') return `node.kind must be "sidecar" or "gateway", got "${node.kind}"`;
  if (!node.service) return 'node.service is empty';
  return {
    id: node.id,
    kind: node.kind,
    service: node.service,
    namespace: node.namespace || 'default',
    serviceAccount: node.serviceAccount || node.service,
    labels: { ...node.labels },
    address: node.address || '127.0.0.1',
    inboundPort: node.inboundPort,
    servicePort: node.servicePort,
    ...(node.adminPort ? { adminPort: node.adminPort } : {}),
    ...(node.servicePortName ? { servicePortName: node.servicePortName } : {}),
    ...(node.appProtocol ? { appProtocol: node.appProtocol } : {}),
  };
}
