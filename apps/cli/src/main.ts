// `skiff`: the command-line entry. Each command lives in commands/<name>.ts.
import { fileURLToPath } from 'node:url';
import { proxyConfig } from './commands/proxy-config.js';
import { simulate } from './commands/simulate.js';
import { up } from './commands/up.js';
import { analyze } from './commands/analyze.js';
import { scenario } from './commands/scenario.js';
import { inject } from './commands/inject.js';
import { ls } from './commands/ls.js';
import { run } from './commands/run.js';
import { test } from './commands/test.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

// `npm run skiff --prefix <skiff> -- test -f mesh-tests` from a project's own directory: npm runs
// the script in Skiff's directory, but the paths given are the caller's, as for any command.
if (process.env['npm_lifecycle_event'] === 'skiff' && process.env['INIT_CWD'] && process.env['INIT_CWD'] !== process.cwd()) process.chdir(process.env['INIT_CWD']);

const HELP = `usage: skiff <command> [options]

Commands:
  up          start the local mesh (control plane, gateway, sample apps with sidecars)
  run         start a service of your own with a sidecar and join it to the running mesh
  ls          list the mesh's workloads and their proxies' sync state (also: proxy-status)
  analyze     check Istio config across files, like istioctl analyze (exit 1 on errors)
  simulate    which route, cluster and endpoints a request would take, and why
  test        run MeshTest cases against the config (offline) or the running mesh (--live)
  proxy-config  show a running proxy's routes, clusters, endpoints or listeners
  scenario    run a scenario (canary, ab, fault, circuit-breaker, mirror, mtls, authz) with a verdict
  inject      add the sidecar to Kubernetes manifests, like istioctl kube-inject

Run "skiff <command> --help" for a command's options.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  up: (argv) => up(argv, root),
  run: (argv) => run(argv, root),
  ls: (argv) => ls(argv),
  'proxy-status': (argv) => ls(argv),
  analyze: (argv) => analyze(argv),
  simulate: (argv) => simulate(argv),
  test: (argv) => test(argv),
  'proxy-config': (argv) => proxyConfig(argv),
  scenario: (argv) => scenario(argv),
  inject: (argv) => inject(argv),
};

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(HELP);
  process.exit(name ? 0 : 2);
}
const command = commands[name];
if (!command) {
  console.error(`skiff: unknown command "${name}"\n\n${HELP}`);
  process.exit(2);
}
try {
  process.exitCode = await command(rest);
} catch (error) {
  console.error(`skiff ${name}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
