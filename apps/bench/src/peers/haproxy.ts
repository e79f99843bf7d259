// The second C peer: Debian's HAProxy as a reverse proxy, one thread (`nbthread 1`), reusing
// idle upstream connections (`http-reuse always`), as a single-threaded Node proxy is compared
// with it. nginx buffers and re-frames; HAProxy forwards more like a sidecar does, so the two
// C peers bracket what a proxy written in C gets on this machine.
import { mkdtempSync, writeFileSync } from 'node:fs';
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
