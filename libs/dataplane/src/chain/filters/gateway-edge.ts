// What only the edge does. Istio's httpsRedirect (Envoy's require_tls on the virtual hosts of
// that server): a plaintext request for a host of such a server gets 301 to the same authority
// and path over https. And x-forwarded-proto, which says how the client connected.
import type { GatewayServerSnapshot } from '@skiff/api';
import type { TLSSocket } from 'node:tls';
import { matchServer } from '../../gateway/server-select.js';
import type { HttpFilter } from '../http-filter.js';

export function gatewayEdgeFilter(serversOnPort: readonly GatewayServerSnapshot[]): HttpFilter {
  const redirecting = serversOnPort.some((s) => s.httpsRedirect);
  return {
    name: 'gateway-edge',
    decodeHeaders(x) {
      const encrypted = (x.stream.socket as TLSSocket).encrypted === true;
      if (!encrypted && redirecting && matchServer(serversOnPort, x.requested.host)?.httpsRedirect) {
        return { status: 301, body: '', flag: '-', headers: { location: `https://${x.requested.authority}${x.requested.path}` } };
      }
      const proto = encrypted ? 'https' : 'http';
      x.received['x-forwarded-proto'] = proto;
      x.headers['x-forwarded-proto'] = proto;
      return undefined;
    },
  };
}
