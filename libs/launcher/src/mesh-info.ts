// What a running local mesh tells the commands that join it (`skiff run`, `skiff ls`,
// `skiff test --live`): `<state dir>/mesh.json`, written by whoever started the mesh once it is
// ready. The pid says whether it is still running; a file left by a mesh that is gone is stale.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { MeshPlan } from './mesh-plan.js';
import type { MeshState } from './mesh-state.js';
import { alive, processStartTime } from './pid-file.js';

const MeshInfoSchema = z.object({
  /** The process that started the mesh (`skiff up`, a test), and when it started (a reused pid is not it). */
  pid: z.number().int().positive(),
  pidStartTime: z.string().optional(),
  namespace: z.string().min(1),
  /** host:port of discovery and the CA (mutual TLS). */
  controlPlane: z.string().min(1),
  /** The control plane's monitoring and debug URL (/debug/syncz, /v1/traces). */
  monitoring: z.string().url(),
  dashboard: z.string().url().optional(),
  gateway: z.string().url().optional(),
  configDir: z.string().min(1),
  stateDir: z.string().min(1),
  rootCert: z.string().min(1),
  meshTokenFile: z.string().min(1),
  startedAt: z.string(),
});
export type MeshInfo = z.infer<typeof MeshInfoSchema>;

export const MESH_INFO_FILE = 'mesh.json';

/** Where `skiff up --port-offset <offset>` keeps its state, from the current directory: .skiff, or .skiff-<offset>. */
export function meshStateDir(offset = 0): string {
  return resolve(offset === 0 ? '.skiff' : `.skiff-${offset}`);
}

export function meshInfoOf(plan: MeshPlan, state: MeshState, configDir: string, namespace = 'default'): MeshInfo {
  return {
    pid: process.pid,
    ...(processStartTime(process.pid) !== undefined ? { pidStartTime: processStartTime(process.pid) } : {}),
    namespace,
    controlPlane: `127.0.0.1:${plan.ports.xds}`,
    monitoring: plan.urls.controlPlane,
    dashboard: plan.urls.dashboard,
    gateway: plan.urls.gateway,
    configDir,
    stateDir: state.dir,
    rootCert: join(state.caDir, 'root-cert.pem'),
    meshTokenFile: state.meshTokenFile,
    startedAt: new Date().toISOString(),
  };
}

export function writeMeshInfo(info: MeshInfo): void {
  const file = join(info.stateDir, MESH_INFO_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}


/** The running mesh whose state is in `stateDir`, or an Error that says what to do. */
export function readMeshInfo(stateDir: string): MeshInfo | Error {
  const file = join(stateDir, MESH_INFO_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Error(`no mesh is running here (${file} does not exist): start one with "skiff up" (or "skiff up --no-samples"), or pass --state-dir`);
  }
  let parsed: MeshInfo;
  try {
    parsed = MeshInfoSchema.parse(JSON.parse(text));
  } catch (error) {
    return new Error(`${file} is not a mesh description (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); restart the mesh with "skiff up"`);
  }
  if (!alive(parsed.pid, parsed.pidStartTime)) return new Error(`the mesh that wrote ${file} (pid ${parsed.pid}) is no longer running: start it with "skiff up"`);
  return parsed;
}
