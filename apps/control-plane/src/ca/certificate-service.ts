// The CA's gRPC face: checks the caller's bootstrap credential, signs its CSR for the identity
// that credential entitles it to, and answers with the chain. Never sees a private key.
import { SigningRefused, type CertificateAuthority } from '@skiff/pki';
import { grpc, type CertificateRequest, type CertificateResponse } from '@skiff/protocol';
import type { Logger } from '@skiff/telemetry';

/** Who may get which identity: bootstrap tokens (local, compose) or TokenReview (Kubernetes). */
export interface CredentialCheck {
  entitlements(token: string): string[] | Promise<string[]>;
  /** Reads the credentials again, for a token added since start (the implementation bounds how often). */
  reload?(): void;
}

export interface CertificateServiceOptions {
  ca: CertificateAuthority;
  tokens: CredentialCheck;
  logger: Logger;
  defaultTtlMs: number;
  maxTtlMs: number;
  onIssued?: (spiffeId: string, notAfter: Date) => void;
  /** Every CSR that arrives, signed or not (citadel_server_csr_count). */
  onCsr?: () => void;
}

export interface IssuedCertificate {
  spiffeId: string;
  serial?: string;
  notAfter: string;
  issuedAt: string;
}

export function certificateServiceHandlers(options: CertificateServiceOptions): grpc.UntypedServiceImplementation {
  return {
    CreateCertificate: (call: grpc.ServerUnaryCall<CertificateRequest, CertificateResponse>, callback: grpc.sendUnaryData<CertificateResponse>) => {
      void issue(options, call)
        .then((response) => callback(null, response))
        .catch((error: { code?: number; message?: string }) => callback({ code: error.code ?? grpc.status.INTERNAL, details: error.message ?? String(error) } as grpc.ServiceError));
    },
  };
}

async function issue(options: CertificateServiceOptions, call: grpc.ServerUnaryCall<CertificateRequest, CertificateResponse>): Promise<CertificateResponse> {
  options.onCsr?.();
  const auth = String(call.metadata.get('authorization')[0] ?? '');
  const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  if (!token) throw { code: grpc.status.UNAUTHENTICATED, message: 'no bootstrap credential: send "authorization: Bearer <token>" (the proxy reads it from --token-file or SKIFF_BOOTSTRAP_TOKEN)' };
  let allowed = await options.tokens.entitlements(token);
  if (allowed.length === 0 && options.tokens.reload) {
    options.tokens.reload(); // a token added since start is honoured without a restart
    allowed = await options.tokens.entitlements(token);
  }
  if (allowed.length === 0) throw { code: grpc.status.UNAUTHENTICATED, message: 'bootstrap credential not recognised by this control plane' };
  const requested = Number(call.request.validityDuration) * 1000;
  const ttlMs = Math.min(requested > 0 ? requested : options.defaultTtlMs, options.maxTtlMs);
  try {
    const signed = await options.ca.sign({ csrPem: call.request.csr, allowedSpiffeIds: allowed, ttlMs, now: new Date() });
    options.logger.info({ spiffeId: signed.spiffeId, notAfter: signed.notAfter.toISOString() }, 'CA: issued a workload certificate');
    options.onIssued?.(signed.spiffeId, signed.notAfter);
    return { certChain: signed.chainPem };
  } catch (error) {
    if (error instanceof SigningRefused) {
      options.logger.warn({ error: error.message, allowed }, 'CA: refused a CSR');
      throw { code: grpc.status.PERMISSION_DENIED, message: error.message };
    }
    throw { code: grpc.status.INVALID_ARGUMENT, message: `cannot sign this CSR: ${error instanceof Error ? error.message : String(error)}` };
  }
}
