// The injection webhook's serving certificate. The API server dials the webhook through its
// Service, so the certificate is named by the Service's DNS names (not a SPIFFE ID) and issued by
// the control plane's own CA, whose root becomes the MutatingWebhookConfiguration's caBundle.
import { issueServingMaterial, serviceDnsNames, type CertificateAuthority, type ServingMaterial } from '@skiff/pki';

/** What the manifests and the control plane agree on (k8s/ has the MutatingWebhookConfiguration). */
export const WEBHOOK_DEFAULTS = {
  service: 'skiff-control-plane',
  namespace: 'skiff-system',
  clusterDomain: 'cluster.local',
  port: 15017,
  path: '/inject',
  configurationName: 'skiff-sidecar-injector',
  namespaceLabel: 'skiff-injection',
} as const;

const DAY_MS = 86_400_000;

export interface WebhookCertOptions {
  service?: string;
  namespace?: string;
  clusterDomain?: string;
  /** Default one year (capped at the CA's notAfter); a restart issues a new one. */
  ttlMs?: number;
  now?: Date;
}

/** A fresh key and certificate for the webhook Service, plus the caBundle to publish. */
export function issueWebhookCertificate(ca: CertificateAuthority, options: WebhookCertOptions = {}): Promise<ServingMaterial> {
  const dnsNames = serviceDnsNames({
    service: options.service ?? WEBHOOK_DEFAULTS.service,
    namespace: options.namespace ?? WEBHOOK_DEFAULTS.namespace,
    clusterDomain: options.clusterDomain ?? WEBHOOK_DEFAULTS.clusterDomain,
  });
  return issueServingMaterial(ca, { dnsNames, ttlMs: options.ttlMs ?? 365 * DAY_MS, now: options.now ?? new Date() });
}
