// Changing a running mesh's config from a test, and knowing when the change is in force (see
// @skiff/launcher's config-in-force.ts, which `skiff scenario` uses too).
import { applyConfigFiles, type AppliedConfig } from '@skiff/launcher';
import { getJson } from './http.js';
import type { TestMesh } from './mesh.js';

export type { AppliedConfig } from '@skiff/launcher';

export interface ApplyConfigOptions {
  timeoutMs?: number;
}

/** What applyConfig needs of a mesh: a local one (startTestMesh) or a compose one. */
export type ConfigurableMesh = Pick<TestMesh, 'configDir' | 'controlPlane' | 'writeConfig'>;

/**
 * Writes config files into the mesh's config directory (a `null` text deletes the file) and
 * resolves once the control plane holds exactly the resources they define and every proxy runs
 * the snapshot computed from them. A file with validation errors is refused before it is
 * written: tests apply config they expect to work.
 */
export function applyConfig(mesh: ConfigurableMesh, files: Record<string, string | null>, options: ApplyConfigOptions = {}): Promise<AppliedConfig> {
  return applyConfigFiles(
    {
      configDir: mesh.configDir,
      writeConfig: (name, text) => mesh.writeConfig(name, text),
      readJson: (path) => getJson(`${mesh.controlPlane}${path}`, {}, { newConnection: true }),
    },
    files,
    options,
  ).catch((error: unknown) => {
    throw new Error(`applyConfig: ${(error as Error).message}`);
  });
}
