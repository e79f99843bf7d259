// A service port's protocol as Istio decides it (pkg/config/protocol/instance.go, Parse and
// ParseNamedPort; kube's ConvertProtocol for appProtocol): appProtocol when it names one, else
// the port's name or the part before its first "-" ("http-web" is HTTP, "grpc-web" is gRPC-Web).
// Anything else is UNKNOWN, which Istio's sidecars sniff; and how an HTTP upstream is spoken to
// follows (networking/core/cluster_builder.go): HTTP/2 for http2 and grpc ports, HTTP/1.1 for
// http ports, the client's own protocol for sniffed ones.
export const PORT_PROTOCOLS = ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTPS', 'HTTP_PROXY', 'TCP', 'TLS', 'UDP', 'MONGO', 'REDIS', 'MYSQL', 'UNKNOWN'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];

function parse(name: string): PortProtocol {
  const p = name.toUpperCase();
  return (PORT_PROTOCOLS as readonly string[]).includes(p) && p !== 'UNKNOWN' ? (p as PortProtocol) : 'UNKNOWN';
}

export function portProtocol(portName: string | undefined, appProtocol?: string): PortProtocol {
  if (appProtocol) {
    const declared = parse(appProtocol);
    if (declared !== 'UNKNOWN') return declared;
    if (appProtocol === 'kubernetes.io/h2c') return 'HTTP2';
    if (appProtocol === 'kubernetes.io/ws' || appProtocol === 'kubernetes.io/wss') return 'HTTP';
  }
  if (!portName) return 'UNKNOWN';
  const whole = parse(portName);
  if (whole !== 'UNKNOWN') return whole;
  const dash = portName.indexOf('-');
  return dash > 0 ? parse(portName.slice(0, dash)) : 'UNKNOWN';
}

/** How an HTTP upstream on a port of this protocol is spoken to; undefined: as the client spoke. */
export function upstreamHttpVersion(protocol: PortProtocol): 'HTTP/1.1' | 'HTTP/2' | undefined {
  // Istio's Instance.IsHTTP2(): http2, grpc and grpc-web ports.
  if (protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-WEB') return 'HTTP/2';
  if (protocol === 'HTTP') return 'HTTP/1.1';
  return undefined;
}

/**
 * Ports carried as opaque byte streams (Istio's Instance.IsTCP(): tcp, tls, https, mongo, redis,
 * mysql): routed by VirtualService `tcp` routes, authorized per connection, counted by the
 * istio_tcp_* metrics.
 */
export function isTcpProtocol(protocol: PortProtocol): boolean {
  return protocol === 'TCP' || protocol === 'TLS' || protocol === 'HTTPS' || protocol === 'MONGO' || protocol === 'REDIS' || protocol === 'MYSQL';
}

/** What a workload's operator should hear about its port's protocol, when Skiff does not carry it as named. */
export function portProtocolAdvice(portName: string | undefined, appProtocol?: string): string | undefined {
  const protocol = portProtocol(portName, appProtocol);
  if (protocol !== 'UDP') return undefined;
  const named = appProtocol && portProtocol(undefined, appProtocol) !== 'UNKNOWN' ? `appProtocol ${JSON.stringify(appProtocol)}` : `port name ${JSON.stringify(portName)}`;
  return `${named} says UDP, which a sidecar does not carry (nor does Istio's): the port is served as HTTP (a sniffed port). Name it tcp-…, http, http2 or grpc, or leave it unnamed`;
}
