// `skiff test`: MeshTest cases run against the config with the proxies' own code (offline, in
// milliseconds), or, with --live, sent through the running mesh and checked against what
// really happened. Exit 0 all pass, 1 any fails, 2 usage errors (bad flags, bad test files).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configuredWorkloadInfo, readConfiguredWorkloads } from '@skiff/launcher';
import { caseResult, CaseEvaluator, junitXml, offlineSnapshots, parseMeshTestFile, textReport, type CaseResult, type MeshTestSuite } from '@skiff/meshtest';
import { localWorkloads, parsePortOffset } from '../local-mesh.js';
import { readConfigDir } from '../simulate/offline-config.js';
import { UsageError } from '../usage-error.js';
import { runLive, type LiveTarget } from '../meshtest/live.js';

export const TEST_HELP = `usage: skiff test [-f <file|dir>]... [--config <dir>] [--live] [--junit <file>] [--json]

Runs MeshTest cases: requests from a workload and what must come of them (status, destination,
split, route, headers, mirror, fault, retries, timeout). Offline (the default) they are worked
out from the config with the proxies' own routing and authorization code, in milliseconds, with
no mesh running. With --live the same requests are sent through the running mesh, and what
really happened is judged. A failure shows the request, what was expected, what happened, and
why (the route and the policy that decided, as skiff simulate explains).

  skiff test -f mesh-tests/ --config config/
  skiff test -f mesh-tests/reviews.yaml --live --junit reports/mesh.xml

  -f, --file <path>       a MeshTest file, or a directory of them (*.yaml, *.yml); repeatable
                          (default: ./mesh-tests)
  --config <dir>          the Istio YAML to test, offline (default: ./config). Its
                          WorkloadEntries are the mesh's workloads; without any, the samples'
  --samples               offline, add the sample workloads even when the config declares its own
  --live                  send the requests through the running mesh instead
  --control-plane <url>   --live: the control plane's monitoring URL (default: the running
                          mesh's, from ./.skiff/mesh.json, else http://127.0.0.1:15014)
  --port-offset <n>       --live: the mesh was started with "skiff up --port-offset <n>"
  --mesh-token-file <f>   --live: the mesh token, which the control plane's test issuer asks for
                          to sign a case's jwt claims (default: the running mesh's)
  --junit <file>          also write JUnit XML there (for CI)
  --json                  print the results as JSON instead of text
  -h, --help              this text

Exit status: 0 all cases pass, 1 a case failed or could not be run, 2 usage errors (a bad flag,
a test file with a wrong field: the message names file, case and field).

File format (docs/your-services.md has more):

  apiVersion: skiff.dev/v1alpha1
  kind: MeshTest
  metadata: {name: reviews-policy}
  spec:
    cases:
    - name: jason sees v2
      request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}
      expect: {destination: {host: reviews, subset: v2}}`;

const TEST_FILE = /\.ya?ml$/i;

/** The files -f names: files as given, directories' *.yaml and *.yml below them. */
export function testFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new UsageError(`-f ${path}: no such file or directory`);
    if (!statSync(path).isDirectory()) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && TEST_FILE.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    if (found.length === 0) throw new UsageError(`-f ${path}: the directory has no *.yaml or *.yml files`);
    files.push(...found);
  }
  return files;
}

function loadSuites(paths: readonly string[]): MeshTestSuite[] {
  const suites: MeshTestSuite[] = [];
  const errors: string[] = [];
  for (const file of testFiles(paths)) {
    const shown = relative(process.cwd(), file) || file;
    const parsed = parseMeshTestFile(shown, readFileSync(file, 'utf8'));
    suites.push(...parsed.suites);
    errors.push(...parsed.errors);
  }
  if (errors.length > 0) throw new UsageError(`the test files have errors; no case was run:\n  ${errors.join('\n  ')}`);
  return suites;
}

/** Offline: the config directory's resources and workloads (its WorkloadEntries, else the samples'), and the gateway. */
function runOffline(suites: readonly MeshTestSuite[], configDir: string, withSamples: boolean): { results: CaseResult[]; warnings: string[] } {
  const config = readConfigDir(configDir);
  const configured = readConfiguredWorkloads(configDir);
  const local = localWorkloads().map((w) => w.info);
  const own = configured.workloads.map((w, i) => configuredWorkloadInfo(w, i));
  const workloads = [...local.filter((w) => w.kind === 'gateway' || withSamples || own.length === 0), ...own];
  const evaluator = new CaseEvaluator(workloads, offlineSnapshots({ resources: config.resources, workloads }));
  const results: CaseResult[] = [];
  for (const suite of suites) {
    for (const c of suite.cases) {
      const started = performance.now();
      const observed = evaluator.evaluate(c);
      results.push(caseResult(suite, c, 'offline', observed, performance.now() - started));
    }
  }
  return { results, warnings: [...config.warnings, ...configured.problems] };
}

export async function test(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f', multiple: true },
        config: { type: 'string' },
        samples: { type: 'boolean' },
        live: { type: 'boolean' },
        'control-plane': { type: 'string' },
        'port-offset': { type: 'string' },
        'mesh-token-file': { type: 'string' },
        junit: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`skiff test: ${(error as Error).message} (see skiff test --help)`);
    return 2;
  }
  if (values.help) {
    console.log(TEST_HELP);
    return 0;
  }
  let results: CaseResult[];
  let warnings: string[] = [];
  try {
    if (values.live && values.config !== undefined) throw new UsageError('--config is for offline runs; --live tests the config the running mesh has in force');
    const suites = loadSuites(values.file ?? ['mesh-tests']);
    if (values.live) {
      const target: LiveTarget = { offset: parsePortOffset(values['port-offset']), ...(values['control-plane'] ? { controlPlane: values['control-plane'] } : {}), ...(values['mesh-token-file'] ? { meshTokenFile: values['mesh-token-file'] } : {}) };
      results = await runLive(suites, target, (line) => console.error(line));
    } else {
      const configDir = resolve(values.config ?? 'config');
      if (!existsSync(configDir)) throw new UsageError(`config directory ${configDir} does not exist; pass --config <dir>`);
      ({ results, warnings } = runOffline(suites, configDir, values.samples === true));
    }
  } catch (error) {
    console.error(`skiff test: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
  if (values.junit) writeFileSync(values.junit, junitXml(results));
  if (values.json) console.log(JSON.stringify({ passed: results.every((r) => r.outcome === 'pass'), results }, null, 2));
  else console.log(textReport(results));
  for (const w of warnings) console.error(`warning: ${w}`);
  return results.every((r) => r.outcome === 'pass') ? 0 : 1;
}
