// Reads the server name (SNI) from a TLS ClientHello before any TLS library sees the bytes, so
// the gateway can choose the Gateway server -- certificate and client-certificate policy --
// the way Envoy's tls_inspector feeds its filter chain match. RFC 8446 section 4.1.2 and
// RFC 6066 section 3 give the layout.

export type ClientHelloRead =
  /** More bytes are needed. */
  | { state: 'incomplete' }
  /** The bytes are not a TLS handshake (e.g. plaintext HTTP sent to a TLS port). */
  | { state: 'not-tls' }
  /** A complete ClientHello; serverName is absent when the client sent no SNI, alpn when it offered no ALPN. */
  | { state: 'hello'; serverName?: string; alpn?: string[] };

const HANDSHAKE_RECORD = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_NAME_EXTENSION = 0x0000;
const ALPN_EXTENSION = 0x0010;
const HOST_NAME = 0x00;
/** A ClientHello larger than this is not worth waiting for (RFC 8446 allows 2^24, nobody sends it). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

/** Parses what has arrived so far; call again with more bytes while it says `incomplete`. */
export function readClientHello(data: Buffer): ClientHelloRead {
  // A ClientHello may span several records; join their payloads.
  const fragments: Buffer[] = [];
  let offset = 0;
  let handshakeLength: number | undefined;
  let collected = 0;
  for (;;) {
    if (data.length < offset + 5) return data.length > offset && data[offset] !== HANDSHAKE_RECORD ? { state: 'not-tls' } : { state: 'incomplete' };
    if (data[offset] !== HANDSHAKE_RECORD || data[offset + 1] !== 0x03) return { state: 'not-tls' };
    const recordLength = data.readUInt16BE(offset + 3);
    const payload = data.subarray(offset + 5, offset + 5 + recordLength);
    fragments.push(payload);
    collected += payload.length;
    if (handshakeLength === undefined && collected >= 4) {
      const head = Buffer.concat(fragments);
      if (head[0] !== CLIENT_HELLO) return { state: 'not-tls' };
      handshakeLength = head.readUIntBE(1, 3);
    }
    if (handshakeLength !== undefined && collected >= handshakeLength + 4) break;
    if (payload.length < recordLength) return { state: 'incomplete' };
    offset += 5 + recordLength;
  }
  const hello = Buffer.concat(fragments).subarray(4, 4 + handshakeLength);
  return { state: 'hello', ...extensionsOf(hello) };
}

/** RFC 7301 section 3.1: a list of length-prefixed protocol names. */
function alpnOf(body: Buffer): string[] {
  const out: string[] = [];
  let p = 2;
  while (p + 1 <= body.length) {
    const length = body[p] as number;
    if (p + 1 + length > body.length) break;
    out.push(body.subarray(p + 1, p + 1 + length).toString('latin1'));
    p += 1 + length;
  }
  return out;
}

/** Walks a ClientHello body to the server_name and ALPN extensions; a malformed body yields neither. */
function extensionsOf(hello: Buffer): { serverName?: string; alpn?: string[] } {
  const found: { serverName?: string; alpn?: string[] } = {};
  let at = 2 + 32; // legacy_version, random
  const skip = (lengthBytes: number): boolean => {
    if (at + lengthBytes > hello.length) return false;
    at += lengthBytes + hello.readUIntBE(at, lengthBytes);
    return at <= hello.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return found; // session id, cipher suites, compression methods
  if (at + 2 > hello.length) return found;
  const end = Math.min(hello.length, at + 2 + hello.readUInt16BE(at));
  at += 2;
  while (at + 4 <= end) {
    const type = hello.readUInt16BE(at);
    const length = hello.readUInt16BE(at + 2);
    const body = hello.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    if (type === ALPN_EXTENSION && body.length >= 2) found.alpn = alpnOf(body);
    if (type !== SERVER_NAME_EXTENSION || body.length < 2 || found.serverName !== undefined) continue;
    let p = 2; // server_name_list length
    while (p + 3 <= body.length) {
      const nameType = body[p];
      const nameLength = body.readUInt16BE(p + 1);
      const name = body.subarray(p + 3, p + 3 + nameLength);
      p += 3 + nameLength;
      if (nameType === HOST_NAME && name.length === nameLength) {
        found.serverName = name.toString('ascii').toLowerCase();
        break;
      }
    }
  }
  return found;
}
