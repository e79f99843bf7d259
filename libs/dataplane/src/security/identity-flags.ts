// The identity flags of every proxy process (sidecar and gateway): a bootstrap token turns mTLS on.
import { readFileSync } from 'node:fs';
import { parseDuration } from '@skiff/api';

export interface IdentityFlags {
  token: string;
  trustDomain: string;
  certTtlMs?: number;
}

export function identityFromFlags(values: { tokenFile?: string; trustDomain?: string; certTtl?: string }): IdentityFlags | undefined {
  let token = process.env.SKIFF_BOOTSTRAP_TOKEN;
  const file = values.tokenFile ?? process.env.SKIFF_TOKEN_FILE;
  if (file) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(`--token-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; the file holds this workload's bootstrap token`);
    }
  }
  if (!token) return undefined;
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
