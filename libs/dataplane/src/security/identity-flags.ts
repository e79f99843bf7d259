// The identity flags of every proxy process (sidecar and gateway): a bootstrap token turns mTLS on.
import { readFileSync } from 'node:fs';
import { parseDuration } from '@skiff/api';

export interface IdentityFlags {
  /** The credential to show the CA now. A file is read again each time: in Kubernetes it holds a
   *  projected service-account token that the kubelet replaces before it expires (hourly). */
  token: () => string;
  trustDomain: string;
  certTtlMs?: number;
}

export function identityFromFlags(values: { tokenFile?: string; trustDomain?: string; certTtl?: string }): IdentityFlags | undefined {
  const file = values.tokenFile ?? process.env.SKIFF_TOKEN_FILE;
  const fromFile = () => {
    try {
      return readFileSync(file as string, 'utf8').trim();
    } catch (error) {
      throw new Error(`--token-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; the file holds this workload's bootstrap token`);
    }
  };
  const first = file ? fromFile() : process.env.SKIFF_BOOTSTRAP_TOKEN;
  if (!first) return undefined;
  let last = first;
  const token = () => {
    if (!file) return first;
    try {
      last = fromFile() || last;
    } catch {
      // Mid-rotation or briefly missing: the last token read may still be valid.
    }
    return last;
  };
  const ttl = values.certTtl ?? process.env.SKIFF_CERT_TTL;
  let certTtlMs: number | undefined;
  if (ttl) {
    try {
      certTtlMs = parseDuration(ttl);
    } catch (error) {
      throw new Error(`--cert-ttl: ${error instanceof Error ? error.message : String(error)} (e.g. 24h, 10m)`);
    }
  }
  return { token, trustDomain: values.trustDomain ?? process.env.SKIFF_TRUST_DOMAIN ?? 'cluster.local', ...(certTtlMs ? { certTtlMs } : {}) };
}
