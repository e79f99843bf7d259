// Publishes the CA root as the caBundle of the injection webhook's configuration, as istiod does
// for istio-sidecar-injector: the API server then trusts the webhook's certificate, which this
// control plane issued itself. Read-modify-replace, so a concurrent edit gets a 409 and a retry.
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@skiff/telemetry';

export async function publishCaBundle(kubeConfig: KubeConfig, options: { name: string; service: string; caBundlePem: string; logger: Logger }): Promise<'updated' | 'unchanged' | 'missing'> {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(options.caBundlePem).toString('base64');
  for (let attempt = 1; ; attempt++) {
    let config;
    try {
      config = await api.readMutatingWebhookConfiguration({ name: options.name });
    } catch (error) {
      if ((error as { code?: number }).code === 404) {
        options.logger.warn({ name: options.name }, `webhook: no MutatingWebhookConfiguration ${options.name}; pods are not injected automatically until k8s/ is applied (skiff inject still works)`);
        return 'missing';
      }
      throw error;
    }
    const ours = (config.webhooks ?? []).filter((w) => w.clientConfig.service?.name === options.service);
    if (ours.length === 0) throw new Error(`MutatingWebhookConfiguration ${options.name} has no webhook pointing at Service ${options.service}; check k8s/base`);
    if (ours.every((w) => w.clientConfig.caBundle === caBundle)) return 'unchanged';
    for (const w of ours) w.clientConfig.caBundle = caBundle;
    try {
      await api.replaceMutatingWebhookConfiguration({ name: options.name, body: config });
      options.logger.info({ name: options.name }, `webhook: published the CA root as ${options.name}'s caBundle`);
      return 'updated';
    } catch (error) {
      if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error;
    }
  }
}
