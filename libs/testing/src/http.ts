import { Agent, request } from 'undici';

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
// A connection per request: for polling a mesh's debug endpoints between long pauses (docker
// exec, a lab's commands), where a kept-alive socket can be closed by the server just as it is
// reused ("other side closed"). That race is the client's, not the mesh's, and loopback
// connections are cheap.
const noReuse = new Agent({ pipelining: 0 });

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface GetOptions {
  /** Open a new connection for this request instead of reusing a kept-alive one. */
  newConnection?: boolean;
}

export async function get(url: string, headers: Record<string, string> = {}, options: GetOptions = {}): Promise<SimpleResponse> {
  const res = await request(url, { dispatcher: options.newConnection ? noReuse : agent, headers });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

export async function getJson<T = unknown>(url: string, headers: Record<string, string> = {}, options: GetOptions = {}): Promise<{ status: number; body: T }> {
  const res = await get(url, headers, options);
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
