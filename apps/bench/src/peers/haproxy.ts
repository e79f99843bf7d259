// The second C peer: Debian's HAProxy as a reverse proxy, one thread (`nbthread 1`), reusing
// idle upstream connections (`http-reuse always`), as a single-threaded Node proxy is compared
// with it. nginx buffers and re-frames; HAProxy forwards more like a sidecar does, so the two
// C peers bracket what a proxy written in C gets on this machine.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnReady, type Started } from '../spawn-ready.js';

export const HAPROXY = '/usr/sbin/haproxy';

export function haproxyConfig(listen: number, upstream: number, prefix: string): string {
  return `global
  nbthread 1
  maxconn 8192
  pidfile ${prefix}/haproxy.pid

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:${listen}
  default_backend app

backend app
  server app 127.0.0.1:${upstream} maxconn 1024
`;
}

export function startHaproxy(listen: number, upstream: number): Promise<Started> {
  const prefix = mkdtempSync(join(tmpdir(), 'skiff-bench-haproxy-'));
  writeFileSync(join(prefix, 'haproxy.cfg'), haproxyConfig(listen, upstream, prefix));
  // -db: stay in the foreground, so the benchmark owns the process and stops it by its pid.
  return spawnReady('haproxy', HAPROXY, ['-db', '-f', join(prefix, 'haproxy.cfg')], `http://127.0.0.1:${listen}/small`);
}

/**
 * HAProxy as one of two TLS relays for a byte stream (mode tcp, one thread): `originate` takes
 * plaintext and connects with mutual TLS, `terminate` accepts mutual TLS and connects in
 * plaintext. The pair is what two proxies written in C move between them on this machine,
 * beside the sidecars and two bare Node relays. certDir holds relay-certificate.ts's files.
 */
export function haproxyTlsRelayConfig(params: { listen: number; upstream: number; readyPort: number; side: 'originate' | 'terminate'; certDir: string; prefix: string }): string {
  const { listen, upstream, readyPort, side, certDir, prefix } = params;
  const identity = join(prefix, 'identity.pem');
  const ca = join(certDir, 'ca.pem');
  const mtls = ` ssl crt ${identity} ca-file ${ca} verify required`;
  const bind = side === 'terminate' ? mtls : '';
  const server = side === 'originate' ? mtls : '';
  return `global
  nbthread 1
  maxconn 1024
  pidfile ${prefix}/haproxy.pid

defaults
  timeout connect 5s
  timeout client 60s
  timeout server 60s

frontend ready
  mode http
  bind 127.0.0.1:${readyPort}
  monitor-uri /ready

frontend relay
  mode tcp
  bind 127.0.0.1:${listen}${bind}
  default_backend upstream

backend upstream
  mode tcp
  server upstream 127.0.0.1:${upstream}${server}
`;
}

export function startHaproxyTlsRelay(params: { listen: number; upstream: number; readyPort: number; side: 'originate' | 'terminate'; certDir: string }): Promise<Started> {
  const prefix = mkdtempSync(join(tmpdir(), 'skiff-bench-haproxy-relay-'));
  // HAProxy wants the certificate chain and its key in one file.
  writeFileSync(join(prefix, 'identity.pem'), readFileSync(join(params.certDir, 'cert.pem'), 'utf8') + readFileSync(join(params.certDir, 'key.pem'), 'utf8'));
  writeFileSync(join(prefix, 'haproxy.cfg'), haproxyTlsRelayConfig({ ...params, prefix }));
  return spawnReady(`haproxy relay (${params.side} TLS)`, HAPROXY, ['-db', '-f', join(prefix, 'haproxy.cfg')], `http://127.0.0.1:${params.readyPort}/ready`);
}
