// Istio's metadata exchange, simplified: the calling sidecar tells the called one who it is
// (workload, namespace, app, version) in a header, so the server side can label its metrics
// with the source workload. Trusted only over mTLS; always removed before the app sees it.
import type { RequestEvent } from './request-event.js';

export const PEER_METADATA_HEADER = 'x-skiff-peer-metadata';

export function encodePeerMetadata(self: RequestEvent['source']): string {
  return [`workload=${self.workload}`, `namespace=${self.namespace}`, `app=${self.app ?? ''}`, `version=${self.version ?? ''}`].join(';');
}

export function decodePeerMetadata(value: string | string[] | undefined): Partial<RequestEvent['source']> {
  if (typeof value !== 'string') return {};
  const out: Record<string, string> = {};
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { workload: out['workload'], namespace: out['namespace'], app: out['app'] || undefined, version: out['version'] || undefined };
}

// ---- TCP: the same metadata as a preamble -------------------------------------------------------
// A TCP connection has no headers. Istio's sidecars swap metadata in-band when mutual TLS
// negotiated ALPN "istio-peer-exchange" (Envoy's metadata_exchange network filter: a magic
// number, a length, the peer's metadata). Skiff does the same with its own magic and the header's
// text: the dialling sidecar writes it first, the called one reads it before any byte reaches its
// app. Only the dialling side writes, as the called side's identity is already in the route.

/** ALPN that says a preamble follows the handshake (Istio's name for the exchange). */
export const PEER_EXCHANGE_ALPN = 'istio-peer-exchange';
/** Marks a Skiff preamble, so bytes that are not one are never taken for one. */
const MAGIC = Buffer.from('SKPM', 'latin1');
const PREAMBLE_HEADER = MAGIC.length + 2; // magic, then the metadata's length (uint16)
/** More is not metadata: four short fields. */
export const MAX_PREAMBLE_METADATA = 1024;

export function encodePeerPreamble(self: RequestEvent['source']): Buffer {
  const text = Buffer.from(encodePeerMetadata(self), 'utf8').subarray(0, MAX_PREAMBLE_METADATA);
  const out = Buffer.alloc(PREAMBLE_HEADER + text.length);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(text.length, MAGIC.length);
  text.copy(out, PREAMBLE_HEADER);
  return out;
}

export type PreambleRead =
  /** Not enough bytes yet to tell. */
  | { kind: 'more' }
  /** No preamble: these bytes are the connection's own. */
  | { kind: 'none' }
  | { kind: 'metadata'; metadata: Partial<RequestEvent['source']>; rest: Buffer }
  | { kind: 'invalid'; why: string };

/** Reads a preamble from the first bytes of a connection; pure, for the socket code to call as bytes arrive. */
export function readPeerPreamble(bytes: Buffer): PreambleRead {
  const seen = Math.min(bytes.length, MAGIC.length);
  if (!bytes.subarray(0, seen).equals(MAGIC.subarray(0, seen))) return { kind: 'none' };
  if (bytes.length < PREAMBLE_HEADER) return { kind: 'more' };
  const length = bytes.readUInt16BE(MAGIC.length);
  if (length > MAX_PREAMBLE_METADATA) return { kind: 'invalid', why: `a peer metadata preamble of ${length} bytes (at most ${MAX_PREAMBLE_METADATA})` };
  if (bytes.length < PREAMBLE_HEADER + length) return { kind: 'more' };
  return { kind: 'metadata', metadata: decodePeerMetadata(bytes.subarray(PREAMBLE_HEADER, PREAMBLE_HEADER + length).toString('utf8')), rest: bytes.subarray(PREAMBLE_HEADER + length) };
}
