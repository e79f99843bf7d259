// What a Gateway server asks of the gateway's listener for TLS, following Istio: an HTTPS server
// with mode SIMPLE or MUTUAL terminates TLS; an HTTP server only reads `httpsRedirect`. Modes
// Skiff cannot serve (PASSTHROUGH, AUTO_PASSTHROUGH, ISTIO_MUTUAL) are refused with a reason.
import type { GatewayServer } from '@skiff/api';
import type { GatewayServerInput } from './snapshot-types.js';

export type GatewayTlsInput = NonNullable<GatewayServerInput['tls']>;

export type ServerTls =
  | { kind: 'plaintext'; httpsRedirect: boolean }
  /** PASSTHROUGH: the client's TLS goes through unterminated, routed by SNI (tls routes). */
  | { kind: 'passthrough' }
  | { kind: 'terminate'; tls: GatewayTlsInput }
  | { kind: 'unsupported'; reason: string };

export function serverTls(server: GatewayServer): ServerTls {
  const protocol = server.port.protocol.toUpperCase();
  const tls = server.tls;
  if (protocol !== 'HTTPS' && protocol !== 'TLS') return { kind: 'plaintext', httpsRedirect: tls?.httpsRedirect === true };
  // Istio's default mode is PASSTHROUGH.
  const mode = tls?.mode ?? 'PASSTHROUGH';
  if (mode === 'PASSTHROUGH') return { kind: 'passthrough' };
  if (protocol === 'TLS' || (mode !== 'SIMPLE' && mode !== 'MUTUAL')) {
    return { kind: 'unsupported', reason: `tls mode ${mode} on a ${protocol} server is not supported by Skiff's gateway (it terminates HTTPS with SIMPLE or MUTUAL, and passes TLS through with PASSTHROUGH)` };
  }
  const out: GatewayTlsInput = { mode };
  // credentialName wins over file paths, as in Istio; keeping only what is used makes equal
  // settings compare equal (servers with the same certificate share one entry).
  if (tls?.credentialName !== undefined) out.credentialName = tls.credentialName;
  else {
    if (tls?.serverCertificate !== undefined) out.serverCertificate = tls.serverCertificate;
    if (tls?.privateKey !== undefined) out.privateKey = tls.privateKey;
    if (mode === 'MUTUAL' && tls?.caCertificates !== undefined) out.caCertificates = tls.caCertificates;
  }
  return { kind: 'terminate', tls: out };
}

/** A stable key for TLS settings: equal settings on one port merge into one snapshot entry. */
export function tlsKey(tls: ServerTls): string {
  if (tls.kind === 'terminate') return JSON.stringify(['terminate', tls.tls.mode, tls.tls.credentialName, tls.tls.serverCertificate, tls.tls.privateKey, tls.tls.caCertificates]);
  if (tls.kind === 'plaintext') return tls.httpsRedirect ? 'plaintext+redirect' : 'plaintext';
  if (tls.kind === 'passthrough') return 'passthrough';
  return 'unsupported';
}
