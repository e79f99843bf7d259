// Bootstrap credentials for local and compose modes: a file of per-workload tokens that the
// operator controls (`skiff up` writes one). A token entitles its holder to exactly one
// identity, so a proxy cannot ask the CA for someone else's certificate. The same file says
// which services each identity may serve (`services`, by default the service named like the
// service account): a proxy may announce endpoints of those services only.
// Kubernetes mode checks projected service-account tokens with a TokenReview instead.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spiffeId } from '@skiff/pki';

export interface TokenEntry {
  token: string;
  namespace: string;
  serviceAccount: string;
  /** Services this identity may serve; default: the one named like the service account. */
  services?: string[];
}

const digest = (token: string) => createHash('sha256').update(token).digest();

export class BootstrapTokens {
  #byDigest = new Map<string, { digest: Buffer; entry: Omit<TokenEntry, 'token'> }>();
  /** "namespace/serviceAccount" -> the services that identity may serve. */
  #services = new Map<string, Set<string>>();
  #lastReloadAt = 0;

  constructor(
    private readonly file: string | undefined,
    private readonly trustDomain: string,
  ) {
    this.#read();
  }

  /**
   * Reads the file again, so a token added by hand is honoured without a restart; at most once a
   * second, since anyone who reaches the CA may send made-up tokens, each asking for a reload.
   */
  reload(): void {
    if (Date.now() - this.#lastReloadAt < 1_000) return;
    this.#lastReloadAt = Date.now();
    this.#read();
  }

  #read(): void {
    this.#byDigest.clear();
    this.#services.clear();
    if (!this.file) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read bootstrap tokens from ${this.file}: ${error instanceof Error ? error.message : String(error)}; expected {"tokens":[{"token","namespace","serviceAccount"}]}`);
    }
    const tokens = (parsed as { tokens?: unknown }).tokens;
    if (!Array.isArray(tokens)) throw new Error(`${this.file}: expected {"tokens":[...]}`);
    tokens.forEach((t: Partial<TokenEntry>, i) => {
      if (typeof t.token !== 'string' || t.token.length < 16 || typeof t.namespace !== 'string' || typeof t.serviceAccount !== 'string') {
        throw new Error(`${this.file}: tokens[${i}] needs token (16+ chars), namespace and serviceAccount`);
      }
      if (t.services !== undefined && (!Array.isArray(t.services) || t.services.some((s) => typeof s !== 'string' || s === ''))) {
        throw new Error(`${this.file}: tokens[${i}].services must be a list of service names`);
      }
      const d = digest(t.token);
      this.#byDigest.set(d.toString('hex'), { digest: d, entry: { namespace: t.namespace, serviceAccount: t.serviceAccount } });
      const key = `${t.namespace}/${t.serviceAccount}`;
      const services = this.#services.get(key) ?? new Set<string>();
      for (const s of t.services ?? [t.serviceAccount]) services.add(s);
      this.#services.set(key, services);
    });
  }

  get size(): number {
    return this.#byDigest.size;
  }

  /** The services an identity may announce endpoints for (none for an identity the file does not name). */
  servicesFor(namespace: string, serviceAccount: string): string[] {
    return [...(this.#services.get(`${namespace}/${serviceAccount}`) ?? [])].sort();
  }

  /** The SPIFFE IDs this token entitles its holder to (none for an unknown token). */
  entitlements(token: string): string[] {
    const d = digest(token);
    const hit = this.#byDigest.get(d.toString('hex'));
    if (!hit || !timingSafeEqual(hit.digest, d)) return [];
    return [spiffeId(this.trustDomain, hit.entry.namespace, hit.entry.serviceAccount)];
  }
}
