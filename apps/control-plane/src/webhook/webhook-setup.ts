// Kubernetes mode's webhook, put together: a serving certificate from this control plane's CA
// for the Service's DNS names, the HTTPS server, and the CA root published as the caBundle.
import type { KubeConfig } from '@kubernetes/client-node';
import type { CertificateAuthority } from '@skiff/pki';
import type { Logger } from '@skiff/telemetry';
import type { ControlPlaneFlags } from '../flags.js';
import { publishCaBundle } from '../kube/ca-bundle.js';
import { startInjectionWebhook, type InjectionWebhook } from './injection-webhook.js';
import { issueWebhookCertificate, WEBHOOK_DEFAULTS } from './webhook-cert.js';

/** The Service's discovery port (mutual TLS, Istio's 15012), as pods dial it (k8s/base). */
const XDS_SERVICE_PORT = 15012;

export async function startWebhook(flags: ControlPlaneFlags, ca: CertificateAuthority, kubeConfig: KubeConfig, logger: Logger, beforeInject?: (namespace: string) => Promise<void>): Promise<InjectionWebhook> {
  const k = flags.kubernetes;
  if (!k || k.webhookPort === undefined) throw new Error('startWebhook needs --config-source kubernetes and a --webhook-port');
  const { namespace } = k;
  const material = await issueWebhookCertificate(ca, { namespace });
  const webhook = await startInjectionWebhook({
    host: flags.bind,
    port: k.webhookPort,
    certPem: material.certPem,
    keyPem: material.keyPem,
    // Pods dial the Service's discovery port (k8s/base), whatever port this process listens on.
    inject: { controlPlane: `${WEBHOOK_DEFAULTS.service}.${namespace}:${XDS_SERVICE_PORT}`, ...k.inject },
    logger,
    ...(beforeInject ? { beforeInject } : {}),
  });
  logger.info({ port: webhook.port, dnsNames: material.dnsNames }, `webhook: sidecar injection on https://${flags.bind}:${webhook.port}${WEBHOOK_DEFAULTS.path}`);
  // Not fatal: the mesh works without automatic injection, and `kubectl apply -k k8s/` may come later.
  publishCaBundle(kubeConfig, { name: WEBHOOK_DEFAULTS.configurationName, service: WEBHOOK_DEFAULTS.service, caBundlePem: material.caBundlePem, logger }).catch((error: Error) =>
    logger.warn({ error: error.message }, `webhook: cannot publish the caBundle: ${error.message.split('\n')[0]}`),
  );
  return webhook;
}
