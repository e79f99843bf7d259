// The proxy's workload identity: it makes its own key pair, sends only a CSR with its SPIFFE ID
// and its bootstrap credential to the control plane's CA, and rotates at half of the
// certificate's life (as Istio's agent does), with a fresh key each time. Listeners and pools
// read `current` per connection, so a rotation never interrupts a request in flight.
import { createWorkloadCsr, generateWorkloadKey, leafInfo, spiffeId as makeSpiffeId, tlsMaterial, splitPemCertificates, type TlsMaterial } from '@skiff/pki/workload';
import { createCertificateClient, grpc, type CertificateClient, type DiscoveryTransport } from '@skiff/protocol';
import type { Logger } from '@skiff/telemetry';

export interface WorkloadCertificate {
  spiffeId: string;
  tls: TlsMaterial;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Increases with every rotation; connection pools are keyed by it. */
  generation: number;
  chainPem: string[];
}

export interface IdentityStatus {
  spiffeId: string;
  state: 'requesting' | 'ready' | 'error';
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  rotations: number;
  lastError?: string;
  nextRotation?: string;
}

export interface IdentityOptions {
  controlPlane: string;
  /** TLS that verifies the control plane (the proxy has no certificate of its own yet). */
  transport: DiscoveryTransport;
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
  /** A string, or a function read at each request (a token file that is rotated underneath). */
  token: string | (() => string);
  /** Lifetime to ask for; the CA may grant less. 0: the CA's default. */
  ttlMs?: number;
  logger: Logger;
}

export class WorkloadIdentity {
  readonly spiffeId: string;
  readonly status: IdentityStatus;
  #current: WorkloadCertificate | undefined;
  #client: CertificateClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #listeners: Array<(c: WorkloadCertificate) => void> = [];
  #stopped = false;
  #generation = 0;

  constructor(private readonly options: IdentityOptions) {
    this.spiffeId = makeSpiffeId(options.trustDomain, options.namespace, options.serviceAccount);
    this.status = { spiffeId: this.spiffeId, state: 'requesting', rotations: 0 };
  }

  get current(): WorkloadCertificate | undefined {
    return this.#current;
  }

  onRotate(listener: (c: WorkloadCertificate) => void): void {
    this.#listeners.push(listener);
  }

  /** Resolves once the first certificate is in hand; retries with backoff until the CA answers. */
  async start(): Promise<WorkloadCertificate> {
    this.#client = createCertificateClient(this.options.controlPlane, this.options.transport);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#renew();
      } catch (error) {
        if (this.#stopped) throw error;
        const message = error instanceof Error ? error.message : String(error);
        this.status.state = 'error';
        this.status.lastError = message;
        const permanent = /UNAUTHENTICATED|PERMISSION_DENIED/.test(message);
        this.options.logger.error({ error: message }, permanent ? 'the CA refused this proxy; check its bootstrap token' : 'cannot get a certificate yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  async #renew(): Promise<WorkloadCertificate> {
    const keys = await generateWorkloadKey();
    const csr = createWorkloadCsr(this.spiffeId, keys.privateKeyPem);
    const chain = await this.#request(csr);
    const [leaf] = chain;
    if (!leaf) throw new Error('the CA answered with an empty chain');
    const info = leafInfo(leaf);
    if (info.spiffeId !== this.spiffeId) throw new Error(`the CA issued ${info.spiffeId ?? 'no SPIFFE ID'} instead of ${this.spiffeId}`);
    const root = chain.at(-1) as string;
    const cert: WorkloadCertificate = {
      spiffeId: this.spiffeId,
      tls: tlsMaterial({ privateKeyPem: keys.privateKeyPem, chainPem: chain, rootsPem: [root] }),
      serialNumber: info.serialNumber,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      generation: ++this.#generation,
      chainPem: chain,
    };
    const rotated = this.#current !== undefined;
    this.#current = cert;
    Object.assign(this.status, { state: 'ready', serialNumber: cert.serialNumber, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString(), lastError: undefined });
    if (rotated) this.status.rotations += 1;
    this.#schedule(cert);
    for (const listener of this.#listeners) listener(cert);
    this.options.logger.info({ spiffeId: this.spiffeId, notAfter: cert.notAfter.toISOString(), rotated }, rotated ? 'rotated workload certificate' : 'got workload certificate');
    return cert;
  }

  #schedule(cert: WorkloadCertificate): void {
    if (this.#timer) clearTimeout(this.#timer);
    // Half of the remaining life from now, not from notBefore: the CA back-dates notBefore by a
    // minute for clock skew, which would make short-lived certificates rotate at once.
    const now = Date.now();
    const at = now + (cert.notAfter.getTime() - now) / 2;
    this.status.nextRotation = new Date(at).toISOString();
    const delay = Math.max(1000, at - Date.now());
    this.#timer = setTimeout(() => void this.#rotateWithRetry(), Math.min(delay, 2 ** 31 - 1));
    this.#timer.unref();
  }

  async #rotateWithRetry(): Promise<void> {
    try {
      await this.#renew();
    } catch (error) {
      this.status.lastError = error instanceof Error ? error.message : String(error);
      this.options.logger.error({ error: this.status.lastError }, 'certificate rotation failed; keeping the current one and retrying in 5 s');
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#rotateWithRetry(), 5000).unref();
    }
  }

  #request(csr: string): Promise<string[]> {
    const metadata = new grpc.Metadata();
    const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
    metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      this.#client?.CreateCertificate({ csr, validityDuration: Math.round((this.options.ttlMs ?? 0) / 1000) }, metadata, { deadline: Date.now() + 10_000 }, (error, response) => {
        if (error) reject(new Error(`${grpc.status[error.code] ?? error.code}: ${error.details || error.message}`));
        else resolve((response?.certChain ?? []).flatMap((pem) => splitPemCertificates(pem)));
      });
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#client?.close();
  }
}
