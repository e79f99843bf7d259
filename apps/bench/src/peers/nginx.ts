// The C peer: Debian's nginx as a reverse proxy with an upstream keep-alive pool, one process
// (`master_process off`), as a single-threaded Node proxy is compared with it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnReady, type Started } from '../spawn-ready.js';

export const NGINX = '/usr/sbin/nginx';

export function nginxConfig(listen: number, upstream: number, prefix: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_requests 1000000;
  upstream app { server 127.0.0.1:${upstream}; keepalive 256; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}

export function startNginx(listen: number, upstream: number): Promise<Started> {
  const prefix = mkdtempSync(join(tmpdir(), 'skiff-bench-nginx-'));
  writeFileSync(join(prefix, 'nginx.conf'), nginxConfig(listen, upstream, prefix));
  return spawnReady('nginx', NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], `http://127.0.0.1:${listen}/small`);
}
