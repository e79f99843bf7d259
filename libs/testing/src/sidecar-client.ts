// Calling a mesh service the way a sample app does: through that app's sidecar, as an explicit
// HTTP proxy. Tests use it to see what the sidecar itself answers (raw status codes, Envoy's
// local-reply bodies) without the app in between reshaping errors.
import { ProxyAgent, request } from 'undici';
import type { SimpleResponse } from './http.js';
import type { TestMesh } from './mesh.js';

export interface TimedResponse extends SimpleResponse {
  /** From sending the request to the end of the body. */
  ms: number;
}

export interface SidecarClient {
  /** GET an in-mesh URL such as http://reviews:9080/reviews/1 through the workload's outbound listener. */
  get(url: string, headers?: Record<string, string>): Promise<TimedResponse>;
  close(): Promise<void>;
}

/** A client that sends through `workload`'s sidecar (frontend, reviews-v1, reviews-v2, ratings). */
export function sidecarClient(mesh: TestMesh, workload: string): SidecarClient {
  const ports = mesh.plan.ports.workloads[workload];
  if (!ports) throw new Error(`sidecarClient: no workload "${workload}"; the mesh has ${Object.keys(mesh.plan.ports.workloads).join(', ')}`);
  // proxyTunnel: false sends absolute-form requests (no CONNECT), as the sample apps do.
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${ports.outbound}`, proxyTunnel: false, keepAliveTimeout: 4_000 });
  return {
    async get(url, headers = {}) {
      const started = performance.now();
      const res = await request(url, { dispatcher: agent, headers });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text, ms: performance.now() - started };
    },
    close: () => agent.close(),
  };
}

/** Runs `call` and measures it in ms. */
export async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}
