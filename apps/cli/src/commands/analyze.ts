// `skiff analyze`: checks Istio config across files and resources, like `istioctl analyze`.
// Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the command could not run as asked.
import { parseArgs } from 'node:util';
import { formatIssue, parseConfigFile, type ValidationIssue } from '@skiff/api';
import { analyze as analyzeConfig, servicesFromWorkloads, type KnownService } from '@skiff/analyze';
import { fetchRegistry, readConfigFiles, UsageError } from './analyze-inputs.js';

export const DEFAULT_CONTROL_PLANE = 'http://127.0.0.1:15014';

export const ANALYZE_HELP = `usage: skiff analyze [-f <file|dir>]... [--control-plane <url> | --use-registry] [--json]

Checks Istio config the way "istioctl analyze" does: every file on its own (schema, weights),
then across resources: subsets no DestinationRule defines, gateways that do not exist or that
nothing binds, routes that can never match, two resources claiming one host. With a running
control plane it also checks destination hosts, ports and subset labels against its registry.

  -f, --filename <path>    a file, or a directory read recursively (*.yaml, *.yml, *.json);
                           repeat for more (default: ./config)
  --control-plane <url>    use this control plane's registry (its monitoring port, e.g. ${DEFAULT_CONTROL_PLANE})
  --use-registry           use the registry at ${DEFAULT_CONTROL_PLANE} if it is up, else skip those checks
  --json                   print {"issues": [...], "errors", "warnings", "files"} instead of text
  -h, --help               this text

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 bad usage or unreadable input.
Codes and examples: docs/analyze.md`;

interface Registry {
  url: string;
  services: KnownService[];
}

export async function analyze(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        'control-plane': { type: 'string' },
        'use-registry': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    // Node's message goes on to explain "--" for positionals; the first sentence is the point.
    const message = (error instanceof Error ? error.message : String(error)).split('. ')[0];
    return usage(`${message}; see "skiff analyze --help"`);
  }
  if (values.help) {
    console.log(ANALYZE_HELP);
    return 0;
  }
  const paths = [...(values.filename ?? []), ...positionals];
  if (paths.length === 0) paths.push('config');

  let registry: Registry | undefined;
  try {
    const { files, labels } = await readConfigFiles(paths);
    registry = await loadRegistry(values['control-plane'], values['use-registry'] === true);
    const sources = Object.fromEntries(files.map((f) => [f.name, f.text]));
    const parsed = files.map((f) => parseConfigFile(f.name, f.text));
    const fileIssues = parsed.flatMap((p) => p.issues);
    const findings = analyzeConfig({ resources: parsed.flatMap((p) => p.resources), issues: fileIssues, services: registry?.services, sources });
    const issues = [...fileIssues, ...findings].sort(byPlace);
    report(issues, files.length, labels, registry, values.json === true);
    return issues.some((i) => i.severity === 'error') ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }
}

function usage(message: string): number {
  console.error(`skiff analyze: ${message}`);
  return 2;
}

/** --control-plane must answer; --use-registry uses the default one only if it is up. */
async function loadRegistry(controlPlane: string | undefined, useDefault: boolean): Promise<Registry | undefined> {
  if (controlPlane !== undefined) {
    if (!/^https?:\/\/[^/]/.test(controlPlane)) throw new UsageError(`--control-plane must be an http:// URL like ${DEFAULT_CONTROL_PLANE}, got "${controlPlane}"`);
    try {
      return { url: controlPlane, services: servicesFromWorkloads(await fetchRegistry(controlPlane)) };
    } catch (error) {
      throw new UsageError(`${error instanceof Error ? error.message : String(error)}. Start the mesh ("skiff up"), fix the URL, or leave out --control-plane to check the files alone.`);
    }
  }
  if (!useDefault) return undefined;
  try {
    return { url: DEFAULT_CONTROL_PLANE, services: servicesFromWorkloads(await fetchRegistry(DEFAULT_CONTROL_PLANE)) };
  } catch (error) {
    console.error(`skiff analyze: note: ${error instanceof Error ? error.message : String(error)}; skipping the registry checks (hosts, ports, subset labels)`);
    return undefined;
  }
}

function byPlace(a: ValidationIssue, b: ValidationIssue): number {
  return (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line;
}

function report(issues: readonly ValidationIssue[], files: number, inputs: readonly string[], registry: Registry | undefined, json: boolean): void {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  if (json) {
    const withCodes = issues.map((i) => {
      const code = /^\[([A-Z]{3}\d{4})\] /.exec(i.message)?.[1];
      return code === undefined ? i : { ...i, code };
    });
    console.log(JSON.stringify({ issues: withCodes, errors, warnings, files, ...(registry ? { registry: registry.url } : {}) }, null, 2));
    return;
  }
  for (const issue of issues) console.log(formatIssue(issue));
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const against = registry ? ` (with the registry of ${registry.url}: ${count(registry.services.length, 'service')})` : '';
  if (issues.length === 0) {
    console.log(`✔ No validation issues found when analyzing ${inputs.join(', ')}${against}`);
    return;
  }
  console.log(`${errors > 0 ? '✖' : '⚠'} ${count(errors, 'error')}, ${count(warnings, 'warning')} in ${count(files, 'file')}${against}`);
}
