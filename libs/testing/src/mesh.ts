// Starts the real local mesh (the same plan `skiff up` runs) on ephemeral loopback ports, with
// its own copy of the config directory so a test can edit files, and stops it afterwards.
import { cpSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterName, DEFAULT_NAMESPACE, serviceFqdn } from '@skiff/api';
import { BOOKINFO_WORKLOADS, configuredAccounts, ephemeralPorts, readConfiguredWorkloads, freePorts, meshAccounts, meshInfoOf, meshPlan, prepareMeshState, writeMeshInfo, SAMPLE_WORKLOADS, type MeshState, type SampleWorkload, Supervisor, type MeshPlan } from '@skiff/launcher';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface TestMeshOptions {
  /** Files written into the mesh's config directory instead of the repo's default config. */
  config?: Record<string, string>;
  controlPlaneArgs?: string[];
  /** Extra flags for the gateway process (e.g. another --listen). */
  gatewayArgs?: string[];
  /** false: run without identities (no CA tokens, plaintext between sidecars). Default: mTLS on. */
  mtls?: boolean;
  env?: Record<string, string>;
  /** Extra environment per sample app, by workload name (frontend, reviews-v1, reviews-v2, ratings), e.g. FAIL_PERCENT. */
  appEnv?: Record<string, Record<string, string>>;
  /** Called with the CA state and tokens before any process starts (e.g. to teach an API server stand-in the tokens). */
  onState?: (state: MeshState) => void;
  /**
   * Start everything `skiff up` does, as the workshop labs use it: also tcp-echo v1 and v2 with
   * their sidecars and the external stand-in. Off by default: most tests never call them.
   */
  workshop?: boolean;
  /** Only the control plane and the gateway, as `skiff up --no-samples` starts them (users' own services join with `skiff run`). */
  noSamples?: boolean;
}

export interface TestMesh {
  plan: MeshPlan;
  /** CA root and bootstrap tokens (absent with mtls: false). */
  state: MeshState | undefined;
  supervisor: Supervisor;
  configDir: string;
  gateway: string;
  controlPlane: string;
  admin: Record<string, string>;
  /** Writes a config file atomically (write + rename), as an editor's save would. */
  writeConfig(name: string, text: string): void;
  stop(): Promise<void>;
}

export async function startTestMesh(options: TestMeshOptions = {}): Promise<TestMesh> {
  // Ports are picked free, then bound by child processes a moment later; another test process
  // may take one in between. That is not the test's failure, so try again with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestMeshOnce(options);
    } catch (error) {
      if (attempt >= 3 || !mentionsPortInUse(error)) throw error;
      process.stderr.write(`startTestMesh: a port was taken meanwhile (attempt ${attempt}); starting again on new ports\n`);
    }
  }
}

function mentionsPortInUse(error: unknown): boolean {
  const e = error as { message?: unknown; lastLines?: unknown; cause?: unknown } | undefined;
  const text = [e?.message, ...(Array.isArray(e?.lastLines) ? e.lastLines : [])].map(String).join('\n');
  return text.includes('EADDRINUSE') || (e?.cause !== undefined && mentionsPortInUse(e.cause));
}

async function startTestMeshOnce(options: TestMeshOptions): Promise<TestMesh> {
  const configDir = mkdtempSync(join(tmpdir(), 'skiff-test-config-'));
  if (options.config) {
    for (const [name, text] of Object.entries(options.config)) writeFileSync(join(configDir, name), text);
  } else {
    cpSync(join(repoRoot, 'config'), configDir, { recursive: true });
  }
  const samples = options.noSamples ? [] : options.workshop ? SAMPLE_WORKLOADS : BOOKINFO_WORKLOADS;
  // WorkloadEntries in the config start their sidecars (and commands), as in `skiff up`.
  const configured = readConfiguredWorkloads(configDir, { reserved: samples.map((w) => w.name) });
  if (configured.problems.length > 0) throw new Error(`startTestMesh: the config's WorkloadEntries:\n${configured.problems.join('\n')}`);
  const ports = await ephemeralPorts(freePorts, configured.workloads.map((w) => w.name));
  const state = options.mtls === false ? undefined : prepareMeshState(mkdtempSync(join(tmpdir(), 'skiff-test-state-')), [...meshAccounts(), ...configuredAccounts(configured.workloads)]);
  if (state) options.onState?.(state);
  const plan = meshPlan({
    state,
    root: repoRoot,
    configDir,
    ports,
    env: { SKIFF_LOG_LEVEL: process.env.SKIFF_LOG_LEVEL ?? 'info', ...options.env },
    appEnv: options.appEnv,
    controlPlaneArgs: options.controlPlaneArgs,
    gatewayArgs: options.gatewayArgs,
    samples,
    externalStandin: options.workshop === true,
    configured: configured.workloads,
  });
  // SKIFF_TEST_MESH_OUTPUT=1 prints every process's output, prefixed with its name (to debug a flake).
  const supervisor = new Supervisor(process.env['SKIFF_TEST_MESH_OUTPUT'] === '1' ? { prefixOutput: true } : { quiet: true });
  try {
    await supervisor.startAll(plan.stages);
  } catch (error) {
    await supervisor.stopAll({ timeoutMs: 2000 });
    rmSync(configDir, { recursive: true, force: true });
    if (state) rmSync(state.dir, { recursive: true, force: true });
    throw error;
  }
  await awaitEndpointsEverywhere(plan.urls.admin, samples);
  // What `skiff run --state-dir <state.dir>` reads to join this mesh, as it reads `skiff up`'s.
  if (state) writeMeshInfo(meshInfoOf(plan, state, configDir));
  return {
    plan,
    state,
    supervisor,
    configDir,
    gateway: plan.urls.gateway,
    controlPlane: plan.urls.controlPlane,
    admin: plan.urls.admin,
    writeConfig(name, text) {
      const target = join(configDir, name);
      const temp = join(configDir, `.${name}.tmp`);
      writeFileSync(temp, text);
      renameSync(temp, target);
    },
    async stop() {
      await supervisor.stopAll({ timeoutMs: 3000 });
      rmSync(configDir, { recursive: true, force: true });
      if (state) rmSync(state.dir, { recursive: true, force: true });
    },
  };
}

/**
 * A proxy is ready once it holds a config, which may predate the last workloads' registration
 * (seen on a loaded CI machine: the gateway's first page found no frontend cluster). Waits, up
 * to 15 s, until every proxy has every sample service's endpoints; then the tests judge.
 */
async function awaitEndpointsEverywhere(admin: Record<string, string>, samples: readonly SampleWorkload[]): Promise<void> {
  const expected = new Map<string, { port: number; count: number }>();
  for (const w of samples) expected.set(w.service, { port: w.servicePort, count: (expected.get(w.service)?.count ?? 0) + 1 });
  const complete = async (url: string) => {
    try {
      const clusters = (await (await fetch(`${url}/clusters`, { signal: AbortSignal.timeout(2000) })).json()) as Array<{ name: string; endpoints: unknown[] }>;
      return [...expected].every(([service, { port, count }]) => clusters.some((c) => c.name === clusterName('outbound', port, undefined, serviceFqdn(service, DEFAULT_NAMESPACE)) && c.endpoints.length >= count));
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 15_000;
  let pending = Object.values(admin);
  while (pending.length > 0 && Date.now() < deadline) {
    const done = await Promise.all(pending.map(complete));
    pending = pending.filter((_, i) => !done[i]);
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 100));
  }
  if (pending.length > 0) process.stderr.write(`startTestMesh: after 15 s these proxies still lack some sample endpoints: ${pending.join(', ')}\n`);
}
