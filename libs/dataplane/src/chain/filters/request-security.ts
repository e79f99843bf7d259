// RequestAuthentication then AuthorizationPolicy for the receiving workload (Envoy's jwt_authn
// then rbac filters): on the sidecar's inbound side with the peer's verified identity, and on the
// gateway for its own workload. Left out of the chain when the config has neither for this proxy.
import type { CompiledSnapshot } from '../../core/compiled-snapshot.js';
import { checkRequest, type Peer } from '../../security/request-security.js';
import type { HttpExchange } from '../http-exchange.js';
import type { DecodeResult, HttpFilter } from '../http-filter.js';

export interface SecurityFilterOptions {
  /** The service port the listener stands for (authz `ports`). */
  port: number;
  /** The caller's verified identity (inbound mTLS), when there is one. */
  peer?: (x: HttpExchange) => Peer | undefined;
  onDenied?: (x: HttpExchange, status: number) => void;
}

export function securityFilter(snapshot: CompiledSnapshot | undefined, options: SecurityFilterOptions): HttpFilter | undefined {
  if (!snapshot || (!snapshot.jwt?.active && !snapshot.hasAuthorization)) return undefined;
  return {
    name: 'security',
    decodeHeaders(x): Promise<DecodeResult> {
      const facts = { url: x.path, method: x.head.method, headers: x.received, remoteAddress: x.stream.socket.remoteAddress };
      return checkRequest(snapshot, facts, x.headers, options.peer?.(x), options.port).then((verdict) => {
        if (!verdict.ok && verdict.reply) {
          options.onDenied?.(x, verdict.reply.status);
          return verdict.reply;
        }
        x.path = verdict.path;
        return undefined;
      });
    },
  };
}
