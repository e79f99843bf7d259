// One port for both plaintext and mutual TLS (Istio's PERMISSIVE): the first byte of a
// connection tells them apart (0x16 opens every TLS handshake). Under STRICT, plaintext
// connections are closed before any byte reaches the app.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { PEER_EXCHANGE_ALPN } from '../core/peer-metadata.js';
import { peekClientHello } from '../tcp/client-hello-peek.js';

export type PeerAuthMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

export interface SnifferOptions {
  /** Mode in force now (read per connection, so a config push applies to new connections). */
  mode: () => PeerAuthMode;
  /** Our certificate and trusted roots with a generation number, or undefined while we have none. */
  tlsOptions: () => { generation: number; options: SecureContextOptions } | undefined;
  /**
   * Hands a ready connection (plain or verified TLS) on; 'paused' keeps a plaintext socket paused
   * (a TCP tunnel reads it later). `silent`: the client sent nothing within firstByteTimeoutMs.
   */
  onConnection: (socket: Socket | TLSSocket, silent?: boolean) => void | 'paused';
  onRefused: (why: string, socket: Socket) => void;
  /** At accept, before the first byte: false closes the connection (connection cap, overload). */
  admit?: (socket: Socket) => boolean;
  /**
   * A TCP-family port: an app's own TLS may arrive here (SNI passthrough), so a ClientHello is
   * mesh mTLS only when it offers the mesh's ALPN (Istio's "istio-peer-exchange"/"istio");
   * any other TLS is the app's, passed on as bytes where plaintext is allowed.
   */
  tcp?: boolean;
  /**
   * A client that sends nothing this long is taken as plaintext (a server-first protocol, such as
   * MySQL's, waits for the server to speak); absent: wait for the first byte (HTTP ports, where
   * the request-headers timeout closes a silent connection).
   */
  firstByteTimeoutMs?: number;
}

const TLS_HANDSHAKE = 0x16;
/** What a sidecar offers by ALPN when it opens mutual TLS for a TCP connection, as Istio's do. */
export const MESH_TCP_ALPN = [PEER_EXCHANGE_ALPN, 'istio'];

export function createSniffingServer(options: SnifferOptions): Server {
  // A real tls.Server does the client-certificate verification (chain, validity) and refuses
  // unauthorized peers; a bare TLSSocket would not. Rotation swaps its context in place.
  let tlsServer: TlsServer | undefined;
  let generation = -1;
  const currentTlsServer = (): TlsServer | undefined => {
    const material = options.tlsOptions();
    if (!material) return undefined;
    if (!tlsServer) {
      // ALPN: a peer sidecar that carries HTTP/2 (gRPC) says so in the handshake.
      tlsServer = createTlsServer({ ...material.options, requestCert: true, rejectUnauthorized: true, sessionIdContext: 'skiff-inbound', ALPNProtocols: ['h2', 'http/1.1', ...MESH_TCP_ALPN] });
      tlsServer.on('secureConnection', (tls) => options.onConnection(tls));
      tlsServer.on('tlsClientError', (error, socket) => {
        options.onRefused(`TLS handshake failed: ${error.message}`, socket as unknown as Socket);
        socket.destroy();
      });
    } else if (material.generation !== generation) {
      tlsServer.setSecureContext({ ...material.options, sessionIdContext: 'skiff-inbound' });
    }
    generation = material.generation;
    return tlsServer;
  };
  // noDelay: an http.Server sets it on the sockets it accepts itself, not on sockets handed to it,
  // and with Nagle on, small responses wait for the peer's delayed ACK (up to 40 ms).
  return createServer({ pauseOnConnect: false, noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    if (options.admit && !options.admit(socket)) return;
    const decide = (first: Buffer, appTls: boolean, silent = false) => {
      socket.pause();
      if (first.length > 0) socket.unshift(first);
      const mode = options.mode();
      if (first[0] === TLS_HANDSHAKE && !appTls) {
        const server = mode === 'DISABLE' ? undefined : currentTlsServer();
        if (!server) {
          options.onRefused(mode === 'DISABLE' ? 'TLS under PeerAuthentication DISABLE' : 'TLS before this proxy has a certificate', socket);
          socket.destroy();
          return;
        }
        server.emit('connection', socket);
        return;
      }
      if (mode === 'STRICT') {
        options.onRefused(appTls ? "TLS that is not the mesh's mutual TLS under PeerAuthentication STRICT" : 'plaintext under PeerAuthentication STRICT', socket);
        socket.destroy();
        return;
      }
      if (options.onConnection(socket, silent) !== 'paused') socket.resume();
    };
    // A client silent past the first-byte timeout is plaintext, whatever port this is.
    let silence: NodeJS.Timeout | undefined;
    const quiet = (then: () => void) => {
      if (options.firstByteTimeoutMs === undefined || options.firstByteTimeoutMs <= 0) return;
      silence = setTimeout(then, options.firstByteTimeoutMs);
      socket.once('close', () => clearTimeout(silence));
    };
    if (!options.tcp) {
      const onFirst = (first: Buffer) => {
        clearTimeout(silence);
        decide(first, false);
      };
      socket.once('data', onFirst);
      quiet(() => {
        socket.off('data', onFirst);
        decide(Buffer.alloc(0), false, true);
      });
      return;
    }
    // A TCP port: read the whole ClientHello to see whose TLS it is.
    peekClientHello(socket, { silentMs: options.firstByteTimeoutMs }, (result) => {
      if (result.kind === 'failed') return void socket.destroy();
      if (result.kind === 'silent') return decide(Buffer.alloc(0), false, true);
      decide(result.buffered, result.kind === 'hello' && !(result.alpn ?? []).some((p) => MESH_TCP_ALPN.includes(p)));
    });
  });
}

type PeerPrincipal = { spiffeId: string; principal: string; namespace: string };

// A connection's peer certificate never changes, and getPeerCertificate() builds a fresh object
// from the certificate each call (5% of a sidecar's CPU when read per request): read it once.
const principals = new WeakMap<TLSSocket, PeerPrincipal | undefined>();

/** "cluster.local/ns/default/sa/reviews" from a verified peer certificate, as Istio names principals. */
export function peerPrincipal(socket: Socket | TLSSocket): PeerPrincipal | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  if (principals.has(socket)) return principals.get(socket);
  const found = readPeerPrincipal(socket);
  principals.set(socket, found);
  return found;
}

function readPeerPrincipal(socket: TLSSocket): PeerPrincipal | undefined {
  const san = socket.getPeerCertificate().subjectaltname ?? '';
  const uri = san.split(', ').find((entry) => entry.startsWith('URI:spiffe://'));
  if (!uri) return undefined;
  const spiffeId = uri.slice(4);
  const principal = spiffeId.slice('spiffe://'.length);
  const ns = /\/ns\/([^/]+)\//.exec(principal)?.[1] ?? '';
  return { spiffeId, principal, namespace: ns };
}
