// Kubernetes mode keeps the CA root in a Secret (like istiod's istio-ca-secret), so every
// replica signs with the same root and a restarted pod keeps the trust chain proxies hold. The
// first replica to start creates it; if two start at once, the API server's AlreadyExists
// decides, and the loser reads the winner's. Nothing touches the (read-only) filesystem.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createRootCa, loadCa, type CaMaterial, type CertificateAuthority } from '@skiff/pki';
import type { Logger } from '@skiff/telemetry';

const CERT_KEY = 'ca-cert.pem';
const KEY_KEY = 'ca-key.pem';

export async function loadOrCreateCaSecret(kubeConfig: KubeConfig, options: { namespace: string; name: string; trustDomain: string; logger: Logger }): Promise<CertificateAuthority> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const { namespace, name, logger } = options;
  const where = `Secret ${namespace}/${name}`;
  const read = async (): Promise<CertificateAuthority | undefined> => {
    try {
      const secret = await api.readNamespacedSecret({ name, namespace });
      const cert = secret.data?.[CERT_KEY];
      const key = secret.data?.[KEY_KEY];
      if (!cert || !key) throw new Error(`${where} has no ${CERT_KEY} and ${KEY_KEY}; delete it to let Skiff create a root, or put yours there`);
      return loadCa({ certPem: Buffer.from(cert, 'base64').toString('utf8'), keyPem: Buffer.from(key, 'base64').toString('utf8') });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw new Error(`CA: cannot read ${where}: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  const existing = await read();
  if (existing) {
    logger.info({ secret: where, notAfter: existing.notAfter }, 'CA: loaded the root from its Secret');
    return existing;
  }
  const material: CaMaterial = await createRootCa({ trustDomain: options.trustDomain, now: new Date() });
  try {
    await api.createNamespacedSecret({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'skiff' } },
        type: 'Opaque',
        data: { [CERT_KEY]: Buffer.from(material.certPem).toString('base64'), [KEY_KEY]: Buffer.from(material.keyPem).toString('base64') },
      },
    });
    logger.info({ secret: where, trustDomain: options.trustDomain }, 'CA: created a new self-signed root and stored it in its Secret');
    return loadCa(material);
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw new Error(`CA: cannot create ${where}: ${(error as Error).message.split('\n')[0]} (the control plane needs create on secrets in ${namespace})`);
    const theirs = await read(); // another replica was first
    if (!theirs) throw new Error(`CA: ${where} exists and yet cannot be read`);
    logger.info({ secret: where }, 'CA: another replica created the root first; using it');
    return theirs;
  }
}
