// Reads a config directory the way the control plane's file source does (every *.yaml, *.yml
// and *.json below it, in path order, each through parseConfigFile), so an offline simulation
// sees the resources a freshly started control plane would put in force. Like the control
// plane, a file with any error is left out as a whole.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileHasErrors, formatIssue, parseConfigFile, type Loaded } from '@skiff/api';
import { UsageError } from '../usage-error.js';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

export interface OfflineConfig {
  resources: Loaded[];
  /** Rejected files and validation warnings, each a line the user can act on. */
  warnings: string[];
}

export function readConfigDir(dir: string): OfflineConfig {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`config directory ${dir} does not exist; pass --config <dir>, or start the mesh (npm start) so simulate can ask its control plane`);
  }
  const files = readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && CONFIG_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const resources: Loaded[] = [];
  const warnings: string[] = [];
  for (const path of files) {
    const file = relative(process.cwd(), path) || path;
    const { resources: found, issues } = parseConfigFile(file, readFileSync(path, 'utf8'));
    if (fileHasErrors(issues)) {
      warnings.push(`${file} has errors and is left out, as the control plane would reject it:`, ...issues.map((i) => `  ${formatIssue(i)}`));
      continue;
    }
    warnings.push(...issues.map(formatIssue));
    resources.push(...found);
  }
  return { resources, warnings };
}
