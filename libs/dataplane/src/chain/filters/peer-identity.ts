// The receiving sidecar's view of its caller: the SPIFFE identity its mTLS certificate proves,
// the workload it says it is (metadata exchange, trusted only over mTLS), and the XFCC header
// this proxy alone may set (Envoy sanitizes the caller's the same way).
import { decodePeerMetadata } from '../../core/peer-metadata.js';
import { PEER_METADATA_HEADER } from '../../core/peer-metadata.js';
import { peerPrincipal } from '../../inbound/connection-sniffer.js';
import type { HttpFilter } from '../http-filter.js';

export function peerIdentityFilter(ownSpiffeId: string | undefined): HttpFilter {
  return {
    name: 'peer-identity',
    decodeHeaders(x) {
      const peer = peerPrincipal(x.stream.socket);
      const caller = peer ? decodePeerMetadata(x.received[PEER_METADATA_HEADER]) : {};
      x.source = { workload: caller.workload ?? 'unknown', namespace: caller.namespace ?? peer?.namespace ?? 'unknown', app: caller.app, version: caller.version, ...(peer ? { principal: peer.spiffeId } : {}) };
      x.mtls = peer !== undefined;
      delete x.headers['x-forwarded-client-cert'];
      if (peer && ownSpiffeId) x.headers['x-forwarded-client-cert'] = `By=${ownSpiffeId};URI=${peer.spiffeId}`;
      return undefined;
    },
  };
}
