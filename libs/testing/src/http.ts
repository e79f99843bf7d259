import { Agent, request } from 'undici';

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<SimpleResponse> {
  const res = await request(url, { dispatcher: agent, headers });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

export async function getJson<T = unknown>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await get(url, headers);
  try {
    return { status: res.status, body: JSON.parse(res.text) as T };
  } catch {
    throw new Error(`${url} answered ${res.status} with a body that is not JSON: ${res.text.slice(0, 200)}`);
  }
}

/** Runs `total` calls with at most `concurrency` in flight; returns results in completion order. */
export async function runConcurrently<T>(total: number, concurrency: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      results.push(await call(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}
