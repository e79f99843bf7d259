// Which HTTP/1.1 upgrades a listener lets through, as Istio configures Envoy: every HTTP
// connection manager allows `websocket` and nothing else (istio/istio
// pilot/pkg/networking/core/listener_builder.go: "Allow websocket upgrades"). Envoy answers an
// upgrade it is not configured for with 403 (docs/root/intro/arch_overview/http/upgrades.rst;
// CONNECT likewise), compares the Upgrade value with the configured type case-insensitively, and
// its HTTP/1 codec drops `Upgrade: h2c` (with HTTP2-Settings), serving the request as HTTP/1.1
// (source/common/http/http1/codec_impl.cc, Utility::isH2UpgradeRequest).
import type { RequestHead } from '../http1/head-parser.js';

export type UpgradeDecision =
  /** No upgrade asked for: an ordinary request. */
  | { kind: 'none' }
  /** Forward the upgrade; on 101 the connection becomes a byte tunnel. */
  | { kind: 'tunnel'; protocol: string }
  /** Ignore the upgrade offer and answer as HTTP/1.1 (h2c). */
  | { kind: 'ignore' }
  | { kind: 'refuse'; status: 400 | 403; reason: string };

export const ALLOWED_UPGRADES: readonly string[] = ['websocket'];

export function upgradeDecision(head: Pick<RequestHead, 'upgrade' | 'contentLength' | 'chunked'>, allowed: readonly string[] = ALLOWED_UPGRADES): UpgradeDecision {
  const offered = head.upgrade?.trim();
  if (offered === undefined) return { kind: 'none' };
  const protocol = offered.toLowerCase();
  if (protocol === 'h2c') return { kind: 'ignore' };
  if (!allowed.includes(protocol)) return { kind: 'refuse', status: 403, reason: `upgrade to ${JSON.stringify(offered.slice(0, 64))} is not allowed (only ${allowed.join(', ')})` };
  // A WebSocket handshake is a GET without a body (RFC 6455 §4.1); bytes after the head are the
  // tunnel's, so a body could not be told from them.
  if (head.chunked || head.contentLength > 0) return { kind: 'refuse', status: 400, reason: 'an upgrade request with a body' };
  return { kind: 'tunnel', protocol: offered };
}
