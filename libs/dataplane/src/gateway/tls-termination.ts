// TLS termination for a gateway port (Envoy's tls_inspector + filter chain match + TLS
// transport socket): read the ClientHello's server name, pick the Gateway server it belongs to,
// and hand the connection to a real tls.Server holding that server's certificate, which also
// asks for and verifies a client certificate under MUTUAL. The verified connection then goes
// to the gateway's HTTP server.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { GatewayServerSnapshot, GatewayTlsSnapshot } from '@skiff/api';
import type { Logger } from '@skiff/telemetry';
import type { CertificateStore, TlsMaterial } from './certificate-store.js';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from './client-hello.js';
import { selectTlsServer } from './server-select.js';

export type TlsGatewayServer = GatewayServerSnapshot & { tls: GatewayTlsSnapshot };

export interface TlsTerminatorOptions {
  /** "gateway :443", for log lines. */
  name: string;
  store: CertificateStore;
  logger: Logger;
  /** Receives each connection once its handshake (and client verification) succeeded. */
  onSecureConnection: (socket: TLSSocket) => void;
  /** A client that sends no complete ClientHello within this time is dropped (default 10 s). */
  helloTimeoutMs?: number;
}

const PLAINTEXT_REPLY_BODY = 'This port speaks HTTPS: the Gateway server on it terminates TLS. Use https:// to reach it.\n';
const PLAINTEXT_REPLY = `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(PLAINTEXT_REPLY_BODY)}\r\nconnection: close\r\n\r\n${PLAINTEXT_REPLY_BODY}`;

export class TlsTerminator {
  /** One tls.Server per TLS settings: the certificate and the client-certificate policy. */
  readonly #servers = new Map<string, { server: TlsServer; generation: number }>();
  /** Connections still sending their ClientHello, dropped when the listener closes. */
  readonly #pending = new Set<Socket>();
  #version: string | undefined;

  constructor(private readonly options: TlsTerminatorOptions) {}

  accept(socket: Socket, servers: readonly TlsGatewayServer[], snapshotVersion: string): void {
    if (snapshotVersion !== this.#version) this.#retain(servers, snapshotVersion);
    this.#pending.add(socket);
    socket.once('close', () => this.#pending.delete(socket));
    socket.setTimeout(this.options.helloTimeoutMs ?? 10_000, () => {
      this.options.logger.debug({ listener: this.options.name }, 'TLS connection dropped: no ClientHello in time');
      socket.destroy();
    });
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const hello = readClientHello(buffered);
      if (hello.state === 'incomplete' && buffered.length < MAX_CLIENT_HELLO_BYTES) return;
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      if (hello.state !== 'hello') {
        this.options.logger.debug({ listener: this.options.name, bytes: buffered.length }, 'connection refused: not a TLS ClientHello on a TLS port');
        if (hello.state === 'not-tls') socket.end(PLAINTEXT_REPLY);
        else socket.destroy();
        return;
      }
      socket.unshift(buffered);
      void this.#handOver(socket, servers, hello.serverName, snapshotVersion);
    };
    socket.on('data', onData);
  }

  /** Drops connections still in their ClientHello (the listener is closing). */
  closePending(): void {
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
  }

  async #handOver(socket: Socket, servers: readonly TlsGatewayServer[], serverName: string | undefined, version: string): Promise<void> {
    const chosen = selectTlsServer(servers, serverName);
    if (!chosen) return void socket.destroy();
    let material: TlsMaterial | undefined;
    try {
      material = await this.options.store.material(chosen.tls, version);
    } catch (error) {
      this.options.logger.error({ listener: this.options.name, error: String(error) }, 'reading gateway TLS material failed');
    }
    if (socket.destroyed) return;
    this.#pending.delete(socket);
    if (!material) {
      this.options.logger.warn(
        { listener: this.options.name, sni: serverName ?? '(none)', hosts: chosen.hosts, reason: this.options.store.lastError(chosen.tls) ?? 'not loaded' },
        'TLS connection refused: no certificate is loaded for this Gateway server; fix the files named in the error above',
      );
      socket.destroy();
      return;
    }
    this.#tlsServerFor(chosen.tls, material).emit('connection', socket);
  }

  #tlsServerFor(tls: GatewayTlsSnapshot, material: TlsMaterial): TlsServer {
    const key = settingsKey(tls);
    const existing = this.#servers.get(key);
    if (existing) {
      if (existing.generation !== material.generation) {
        existing.server.setSecureContext(material.options);
        existing.generation = material.generation;
      }
      return existing.server;
    }
    const mutual = tls.mode === 'MUTUAL';
    const server = createTlsServer({
      ...material.options,
      requestCert: mutual,
      rejectUnauthorized: mutual,
      // HTTP/2 by ALPN, as Envoy offers it on a gateway's TLS port (h2, http/1.1).
      ALPNProtocols: ['h2', 'http/1.1'],
      // Resumed sessions must stay within the server (and client policy) that verified them.
      sessionIdContext: createHash('sha256').update(key).digest('hex').slice(0, 32),
    });
    server.on('secureConnection', (socket: TLSSocket) => this.options.onSecureConnection(socket));
    server.on('tlsClientError', (error, socket) => {
      this.options.logger.info({ listener: this.options.name, mode: tls.mode, error: error.message }, 'TLS handshake with a client failed');
      socket.destroy();
    });
    this.#servers.set(key, { server, generation: material.generation });
    return server;
  }

  /** A new snapshot: forget servers and material for settings it no longer has. */
  #retain(servers: readonly TlsGatewayServer[], version: string): void {
    this.#version = version;
    const keep = new Set(servers.map((s) => settingsKey(s.tls)));
    for (const key of this.#servers.keys()) if (!keep.has(key)) this.#servers.delete(key);
    this.options.store.retain(servers.map((s) => s.tls));
  }
}

function settingsKey(tls: GatewayTlsSnapshot): string {
  return JSON.stringify([tls.mode, tls.credentialName, tls.serverCertificate, tls.privateKey, tls.caCertificates]);
}
