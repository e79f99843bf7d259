// PeerAuthentication at the inbound listener: the mode in force for a port, and whether a
// connection (mutual TLS or plaintext) is accepted under it.
import type { EffectiveMtlsMode, SecuritySnapshotInput } from '@skiff/api';

/** Istio's default when the snapshot carries no security section. */
export const DEFAULT_PEER_AUTH_MODE: EffectiveMtlsMode = 'PERMISSIVE';

/** The mode for a workload port: its port-level setting if any, else the workload's mode. */
export function peerAuthModeFor(security: Pick<SecuritySnapshotInput, 'peerAuthentication'> | undefined, port: number | string): EffectiveMtlsMode {
  if (!security) return DEFAULT_PEER_AUTH_MODE;
  return security.peerAuthentication.portLevel?.[String(port)] ?? security.peerAuthentication.mode;
}

/**
 * STRICT takes mutual TLS only, DISABLE plaintext only (the listener offers no TLS), PERMISSIVE
 * both. `reason` says why a connection is refused, for the proxy's log.
 */
export function peerAuthAccepts(mode: EffectiveMtlsMode, connection: { mtls: boolean }): { accepted: boolean; reason: string } {
  if (mode === 'STRICT' && !connection.mtls) return { accepted: false, reason: 'plaintext connection refused: PeerAuthentication mode is STRICT (mutual TLS required)' };
  if (mode === 'DISABLE' && connection.mtls) return { accepted: false, reason: 'mutual TLS connection refused: PeerAuthentication mode is DISABLE (plaintext only)' };
  return { accepted: true, reason: `${connection.mtls ? 'mutual TLS' : 'plaintext'} accepted: PeerAuthentication mode is ${mode}` };
}
