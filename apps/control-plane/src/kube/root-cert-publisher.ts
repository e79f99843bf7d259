// The mesh's root certificate where pods can mount it: ConfigMap istio-ca-root-cert (key
// root-cert.pem) in each namespace with injected pods, as istiod's namespace controller does.
// Sidecars verify the control plane's discovery port against it. Written for the control plane's
// own namespace at start, for a pod's namespace before the webhook injects it, and for every
// namespace whose EndpointSlices it sees.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@skiff/telemetry';

export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_CERT_KEY = 'root-cert.pem';

export class RootCertPublisher {
  readonly #api: CoreV1Api;
  /** Namespaces already published to (or being), so each costs one API call per process. */
  readonly #done = new Map<string, Promise<void>>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly rootCertPem: string,
    private readonly logger: Logger,
  ) {
    this.#api = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Makes sure `namespace` has the ConfigMap with this root; never throws (a failure is logged and tried again next time). */
  ensure(namespace: string): Promise<void> {
    let done = this.#done.get(namespace);
    if (!done) {
      done = this.#publish(namespace).catch((error: Error & { code?: number }) => {
        this.#done.delete(namespace);
        const hint = error.code === 403 ? ' (the control plane needs create, get and update on configmaps; see k8s/base RBAC)' : '';
        this.logger.warn({ namespace, code: error.code }, `kubernetes: cannot publish ConfigMap ${namespace}/${ROOT_CERT_CONFIGMAP}: ${error.message?.split('\n')[0]}${hint}`);
      });
      this.#done.set(namespace, done);
    }
    return done;
  }

  async #publish(namespace: string): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CERT_CONFIGMAP, namespace, labels: { 'istio.io/config': 'true', 'app.kubernetes.io/part-of': 'skiff' } }, data: { [ROOT_CERT_KEY]: this.rootCertPem } };
    try {
      await this.#api.createNamespacedConfigMap({ namespace, body });
      this.logger.info({ namespace }, `kubernetes: published the mesh root as ConfigMap ${namespace}/${ROOT_CERT_CONFIGMAP}`);
      return;
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
    const existing = await this.#api.readNamespacedConfigMap({ name: ROOT_CERT_CONFIGMAP, namespace });
    if (existing.data?.[ROOT_CERT_KEY] === this.rootCertPem) return;
    await this.#api.replaceNamespacedConfigMap({ name: ROOT_CERT_CONFIGMAP, namespace, body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
    this.logger.info({ namespace }, `kubernetes: updated ConfigMap ${namespace}/${ROOT_CERT_CONFIGMAP} to this control plane's root`);
  }
}
