// What both scenario runners do to a running mesh: ask the control plane, change a config file
// the way an editor's save does, and send a page request through the gateway.
import { renameSync, writeFileSync } from 'node:fs';
import { failedCallOutcome, pageOutcome } from '@skiff/scenarios';
import { getJson, UnreachableError } from '../http-json.js';

/** GET a control-plane debug path; an unreachable control plane says to start the mesh. */
export async function controlPlaneJson<T>(controlPlane: string, path: string): Promise<T> {
  try {
    return await getJson<T>(new URL(path, controlPlane).toString());
  } catch (error) {
    if (error instanceof UnreachableError) throw new Error(`cannot reach the control plane at ${controlPlane} (${error.code}); is the mesh running (npm start)?`);
    throw error;
  }
}

/** Write then rename: the control plane's watcher sees the old file or the new one, never half of one. */
export function writeFileAtomically(path: string, text: string): void {
  const temp = `${path}.skiff-tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** One product page through the gateway: the reviews version that served it, or how it failed (see pageOutcome). */
export async function productOutcome(url: string, headers?: Record<string, string>): Promise<string> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    return pageOutcome(res.status, await res.text());
  } catch (error) {
    return failedCallOutcome(error);
  }
}
