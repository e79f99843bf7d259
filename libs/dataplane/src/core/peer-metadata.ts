// Istio's metadata exchange, simplified: the calling sidecar tells the called one who it is
// (workload, namespace, app, version) in a header, so the server side can label its metrics
// with the source workload. Trusted only over mTLS; always removed before the app sees it.
import type { RequestEvent } from './request-event.js';

export const PEER_METADATA_HEADER = 'x-skiff-peer-metadata';

export function encodePeerMetadata(self: RequestEvent['source']): string {
  return [`workload=${self.workload}`, `namespace=${self.namespace}`, `app=${self.app ?? ''}`, `version=${self.version ?? ''}`].join(';');
}

export function decodePeerMetadata(value: string | string[] | undefined): Partial<RequestEvent['source']> {
  if (typeof value !== 'string') return {};
  const out: Record<string, string> = {};
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { workload: out['workload'], namespace: out['namespace'], app: out['app'] || undefined, version: out['version'] || undefined };
}
