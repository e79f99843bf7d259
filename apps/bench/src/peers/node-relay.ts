// The bare Node relay (ceiling/tcp-relay.mjs) as the benchmark starts it, with the same sides as
// the HAProxy relay: `originate` takes plaintext and connects with mutual TLS, `terminate` accepts
// mutual TLS and connects in plaintext. Plain JavaScript under bare node; see that file for why.
import { fileURLToPath } from 'node:url';
import { spawnReady, type Started } from '../spawn-ready.js';

const RELAY = fileURLToPath(new URL('../../ceiling/tcp-relay.mjs', import.meta.url));

export function startNodeRelay(params: { listen: number; upstream: number; readyPort: number; side: 'originate' | 'terminate'; certDir: string }): Promise<Started> {
  const [inMode, outMode] = params.side === 'terminate' ? ['mtls', 'plain'] : ['plain', 'mtls'];
  return spawnReady(`node relay (${params.side} TLS)`, process.execPath, [RELAY, String(params.listen), String(params.readyPort), String(params.upstream), inMode, outMode, params.certDir], `http://127.0.0.1:${params.readyPort}/ready`);
}
