// The sample apps' test hooks, reached directly at their demo-control port on 127.0.0.1 (not
// through the mesh, which cannot reach them, so they neither count as traffic nor depend on the
// routing under test).
import { request } from 'undici';
import type { TestMesh } from './mesh.js';

/** What reviews and ratings count at GET /admin/stats (see their request-stats.ts). */
export interface UpstreamStats {
  requests: number;
  byPath: Record<string, number>;
  /** By Host header: mirrored copies arrive as e.g. "reviews-shadow:9080". */
  hosts: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
}

/** reviews' and ratings' failure and latency knobs (POST /admin/behaviour). */
export interface ReviewsBehaviour {
  failPercent?: number;
  extraLatencyMs?: number;
}

export interface AppAdmin {
  url: string;
  stats(): Promise<UpstreamStats>;
  resetStats(): Promise<void>;
  /** reviews and ratings: the failPercent / extraLatencyMs in force. */
  behaviour(): Promise<Required<ReviewsBehaviour>>;
  /** reviews and ratings: changes failPercent / extraLatencyMs and returns the behaviour in force. */
  setBehaviour(update: ReviewsBehaviour): Promise<Required<ReviewsBehaviour>>;
}

export function appAdmin(mesh: TestMesh, workload: string): AppAdmin {
  const ports = mesh.plan.ports.workloads[workload];
  if (!ports) throw new Error(`appAdmin: no workload "${workload}"; the mesh has ${Object.keys(mesh.plan.ports.workloads).join(', ')}`);
  const url = `http://127.0.0.1:${ports.appAdmin}`;
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await request(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${workload}: ${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
  return {
    url,
    stats: () => call<UpstreamStats>('GET', '/admin/stats'),
    resetStats: async () => {
      await call('POST', '/admin/stats/reset');
    },
    behaviour: () => call<Required<ReviewsBehaviour>>('GET', '/admin/behaviour'),
    setBehaviour: (update) => call<Required<ReviewsBehaviour>>('POST', '/admin/behaviour', update),
  };
}
