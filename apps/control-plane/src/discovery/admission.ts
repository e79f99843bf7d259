// Who may open a discovery stream, and as what. The identity is what the proxy's certificate
// proves (mutual TLS, verified against the mesh's root), never what it says: the node it
// announces must name the same namespace and service account, a service that identity may serve
// and, for its endpoint, an address its connection really comes from. Pure, except the DNS lookup
// for a hostname address, which the caller provides.
import { isIP } from 'node:net';
import type { WorkloadInfo } from '@skiff/api';
import { parseSpiffeId, spiffeId, spiffeIdFromSubjectAltName, type SpiffeIdParts } from '@skiff/pki';
import type { NodeMessage } from '@skiff/protocol';
import { workloadFromNode } from './node.js';

/** What a stream's connection proves. */
export interface StreamPeer {
  /** From the verified client certificate; undefined on the plaintext debugging port or when none was presented. */
  identity?: SpiffeIdParts;
  /** The connection's remote IP (without port). */
  address: string;
  /** True on the plaintext debugging port (--plaintext-xds-port): nothing is proven. */
  plaintext: boolean;
}

/** Which services an identity may announce endpoints of: a list, or 'any' where endpoints come from elsewhere (Kubernetes: EndpointSlices). */
export type Entitlements = (namespace: string, serviceAccount: string) => readonly string[] | 'any';

export type Admission = { ok: true; workload: WorkloadInfo } | { ok: false; kind: 'invalid' | 'unauthenticated' | 'identity'; reason: string };

/** The verified peer certificate's SPIFFE ID, from grpc-js's auth context. */
export function identityOfPeer(authContext: { sslPeerCertificate?: { subjectaltname?: string } } | undefined): SpiffeIdParts | undefined {
  const id = spiffeIdFromSubjectAltName(authContext?.sslPeerCertificate?.subjectaltname);
  if (!id) return undefined;
  try {
    return parseSpiffeId(id);
  } catch {
    return undefined;
  }
}

/** An IP as one spelling: no brackets, lowercase, IPv4-mapped IPv6 as plain IPv4. */
export function normalizeIp(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '').toLowerCase();
  return bare.startsWith('::ffff:') && isIP(bare.slice(7)) === 4 ? bare.slice(7) : bare;
}

/** grpc-js's peer string, `${remoteAddress}:${remotePort}` ("127.0.0.1:5000", "::1:5000"), -> the IP. */
export function peerAddress(peer: string): string {
  const cut = peer.lastIndexOf(':');
  return normalizeIp(cut > 0 && /^\d+$/.test(peer.slice(cut + 1)) ? peer.slice(0, cut) : peer);
}

export function admitNode(node: NodeMessage | null | undefined, peer: StreamPeer, options: { trustDomain: string; entitlements: Entitlements }): Admission {
  const parsed = workloadFromNode(node);
  if (typeof parsed === 'string') return { ok: false, kind: 'invalid', reason: parsed };
  if (peer.plaintext) return { ok: true, workload: parsed };
  const identity = peer.identity;
  if (!identity) return { ok: false, kind: 'unauthenticated', reason: 'no workload certificate was presented: discovery runs over mutual TLS; give the proxy its bootstrap token (--token-file) and the mesh root (--root-cert)' };
  if (identity.trustDomain !== options.trustDomain) return { ok: false, kind: 'identity', reason: `the certificate is for trust domain "${identity.trustDomain}", this mesh is "${options.trustDomain}"` };
  const proven = spiffeId(identity.trustDomain, identity.namespace, identity.serviceAccount);
  if (parsed.namespace !== identity.namespace || parsed.serviceAccount !== identity.serviceAccount) {
    return { ok: false, kind: 'identity', reason: `the node announces namespace "${parsed.namespace}" and service account "${parsed.serviceAccount}", but its certificate proves ${proven}` };
  }
  const allowed = options.entitlements(identity.namespace, identity.serviceAccount);
  if (allowed !== 'any' && !allowed.includes(parsed.service)) {
    const may = allowed.length > 0 ? `may serve ${allowed.join(', ')}` : 'may serve no service';
    return { ok: false, kind: 'identity', reason: `${proven} ${may}, not "${parsed.service}" (the bootstrap tokens file lists each service account's services)` };
  }
  const app = parsed.labels['app'];
  if (app !== undefined && app !== parsed.service) return { ok: false, kind: 'identity', reason: `label app="${app}" names another service than the announced "${parsed.service}"` };
  return { ok: true, workload: parsed };
}

/**
 * The announced address must be where the connection comes from, so that nobody can point an
 * endpoint (or the control plane's scrapes of its admin port) at another host. A hostname
 * (compose announces its service name) must resolve to the connection's address.
 */
export async function addressProblem(announced: string, peer: string, lookup: (host: string) => Promise<string[]>): Promise<string | undefined> {
  if (isIP(announced)) {
    return normalizeIp(announced) === peer ? undefined : `the node announces address ${announced}, but its connection comes from ${peer}`;
  }
  let addresses: string[];
  try {
    addresses = (await lookup(announced)).map(normalizeIp);
  } catch (error) {
    return `the node announces address "${announced}", which does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  return addresses.includes(peer) ? undefined : `the node announces address "${announced}" (${addresses.join(', ') || 'no address'}), but its connection comes from ${peer}`;
}
