// A grpc-js certificate provider whose contents the owner replaces: the control plane's serving
// certificate when it is renewed, a proxy's workload certificate when it rotates. grpc-js uses the
// latest for every new connection; connections already open keep theirs.
import { grpc } from './discovery.js';

type CaListener = (update: { caCertificate: Buffer } | null) => void;
type IdentityListener = (update: { certificate: Buffer; privateKey: Buffer } | null) => void;

export class MutableCertificateProvider {
  #ca: { caCertificate: Buffer } | null = null;
  #identity: { certificate: Buffer; privateKey: Buffer } | null = null;
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();

  /** The roots to verify peers against (PEM). */
  setRoots(pem: string): void {
    this.#ca = { caCertificate: Buffer.from(pem) };
    for (const listener of this.#caListeners) listener(this.#ca);
  }

  /** Our own certificate chain (leaf first) and key (PEM). */
  setIdentity(chainPem: string, keyPem: string): void {
    this.#identity = { certificate: Buffer.from(chainPem), privateKey: Buffer.from(keyPem) };
    for (const listener of this.#identityListeners) listener(this.#identity);
  }

  get hasIdentity(): boolean {
    return this.#identity !== null;
  }

  // The current value reaches a new listener on the next tick, not synchronously: grpc-js's
  // server credentials subscribe before they register the server that waits for the value, and a
  // synchronous answer would be lost (the server would then drop every connection).
  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    queueMicrotask(() => {
      if (this.#ca && this.#caListeners.has(listener)) listener(this.#ca);
    });
  }
  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.#identity && this.#identityListeners.has(listener)) listener(this.#identity);
    });
  }
  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
  }
}

/** Channel credentials that verify the server against `provider`'s roots and, once it has one, present its identity. */
export function mutualTlsChannelCredentials(roots: MutableCertificateProvider, identity: MutableCertificateProvider | null): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(roots, identity);
}

/**
 * Server credentials that ask every client for a certificate but do not require one: the CA
 * must serve proxies that have none yet, while the discovery stream refuses them (it reads the
 * verified peer certificate with call.getAuthContext()).
 */
export function mutualTlsServerCredentials(provider: MutableCertificateProvider): grpc.ServerCredentials {
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
}
