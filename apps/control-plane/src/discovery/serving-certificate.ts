// The control plane's own certificate for its discovery port, issued by its own CA, named by DNS
// (never by a SPIFFE ID, so it cannot pass for a workload, and no workload certificate can pass
// for it), and renewed at half of its life without a restart: grpc-js takes the new one for new
// connections through the certificate provider.
import { issueServingMaterial, serviceDnsNames, type CertificateAuthority } from '@skiff/pki';
import { MutableCertificateProvider } from '@skiff/protocol';
import type { Logger } from '@skiff/telemetry';

/** The name proxies verify (their --control-plane-san), whatever address they dial. */
export const CONTROL_PLANE_SAN = 'skiff-control-plane';

const DAY_MS = 86_400_000;

export interface ServingCertificateOptions {
  ca: CertificateAuthority;
  /** The control plane's namespace in Kubernetes (for its Service's names). */
  namespace: string;
  /** More DNS names (--discovery-san). */
  extraNames?: readonly string[];
  ttlMs?: number;
  logger: Logger;
}

export class ServingCertificate {
  readonly provider = new MutableCertificateProvider();
  #timer: NodeJS.Timeout | undefined;
  #notAfter: Date | undefined;

  private constructor(private readonly options: ServingCertificateOptions) {
    this.provider.setRoots(options.ca.rootCertPem);
  }

  static async start(options: ServingCertificateOptions): Promise<ServingCertificate> {
    const serving = new ServingCertificate(options);
    await serving.#renew();
    return serving;
  }

  get dnsNames(): string[] {
    // "control-plane" is the compose service; the Service names are what pods dial in Kubernetes.
    const names = [CONTROL_PLANE_SAN, 'control-plane', 'localhost', ...serviceDnsNames({ service: CONTROL_PLANE_SAN, namespace: this.options.namespace }), ...(this.options.extraNames ?? [])];
    return [...new Set(names)];
  }

  get notAfter(): Date | undefined {
    return this.#notAfter;
  }

  async #renew(): Promise<void> {
    const ttlMs = Math.min(this.options.ttlMs ?? 30 * DAY_MS, this.options.ca.notAfter.getTime() - Date.now());
    const material = await issueServingMaterial(this.options.ca, { dnsNames: this.dnsNames, ttlMs, now: new Date() });
    this.provider.setIdentity(material.certPem, material.keyPem);
    this.#notAfter = material.notAfter;
    const renewIn = Math.max(60_000, (material.notAfter.getTime() - Date.now()) / 2);
    this.#timer = setTimeout(() => {
      this.#renew().catch((error: unknown) => {
        this.options.logger.error({ error: String(error) }, 'discovery: cannot renew the serving certificate; retrying in a minute');
        this.#timer = setTimeout(() => void this.#renew(), 60_000).unref();
      });
    }, Math.min(renewIn, 2 ** 31 - 1)).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
