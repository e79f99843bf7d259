// Starts the real local mesh (the same plan `skiff up` runs) on ephemeral loopback ports, with
// its own copy of the config directory so a test can edit files, and stops it afterwards.
import { cpSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ephemeralPorts, freePorts, meshAccounts, meshPlan, prepareMeshState, type MeshState, Supervisor, type MeshPlan } from '@skiff/launcher';

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
  const ports = await ephemeralPorts(freePorts);
  const state = options.mtls === false ? undefined : prepareMeshState(mkdtempSync(join(tmpdir(), 'skiff-test-state-')), meshAccounts());
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
  });
  const supervisor = new Supervisor({ quiet: true });
  try {
    await supervisor.startAll(plan.stages);
  } catch (error) {
    await supervisor.stopAll({ timeoutMs: 2000 });
    rmSync(configDir, { recursive: true, force: true });
    if (state) rmSync(state.dir, { recursive: true, force: true });
    throw error;
  }
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
