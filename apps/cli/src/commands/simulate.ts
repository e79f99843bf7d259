// `skiff simulate`: which route, cluster and endpoints a request would take, and why, computed
// with the proxy's own routing code on the snapshot that proxy gets.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UnreachableError } from '../http-json.js';
import { controlPlaneUrlFlag, localControlPlaneUrl, parsePortOffset } from '../local-mesh.js';
import { formatReport } from '../simulate/print-report.js';
import { parseSimulatedRequest } from '../simulate/request-spec.js';
import { simulate as runSimulation } from '@skiff/meshtest';
import { fromConfigDir, fromControlPlane, type SnapshotSource } from '../simulate/snapshot-source.js';
import { UsageError } from '../usage-error.js';

export const SIMULATE_HELP = `usage: skiff simulate <METHOD> <url> [-H 'name: value']... [--from <workload>] [options]

Answers which route, cluster (subset) and endpoints a request would take, and why, using the
proxy's own routing code on the config that proxy gets. Nothing is sent.

  skiff simulate GET http://reviews:9080/reviews/1 -H 'end-user: jason' --from frontend
  skiff simulate GET http://localhost/api/product/1 --from gateway

  -H, --header 'n: v'      a request header, repeatable
  --from <workload>        the calling proxy: frontend, reviews-v1, gateway, or an id such as
                           reviews-v1.default (default: frontend). A sidecar routes by the URL's
                           port (route config "9080"); the gateway by its server port ("http.80").
  --control-plane <url>    ask this running control plane (its debug port, e.g.
                           http://127.0.0.1:15014) for the proxy's snapshot
  --config <dir>           do not ask a control plane: compute the snapshot from this directory
                           for the sample workloads, as the control plane would
  --port-offset <n>        the mesh was started with \`skiff up --port-offset n\`
  --json                   print the result as JSON
  -h, --help               this text

Without --control-plane or --config, the local control plane (127.0.0.1:15014) is asked when it
is running, else ./config is read. The output says which.

Exit status: 0 a route matched, 1 no route (or the control plane could not be reached),
2 bad input.`;

export async function simulate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      header: { type: 'string', short: 'H', multiple: true },
      from: { type: 'string' },
      'control-plane': { type: 'string' },
      config: { type: 'string' },
      'port-offset': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(SIMULATE_HELP);
    return 0;
  }
  try {
    if (positionals.length !== 2) throw new UsageError(`expected <METHOD> <url>, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}; e.g. skiff simulate GET http://reviews:9080/reviews/1`);
    if (values['control-plane'] !== undefined && values.config !== undefined) throw new UsageError('give --control-plane or --config, not both');
    const request = parseSimulatedRequest(positionals[0] as string, positionals[1] as string, values.header ?? []);
    const offset = parsePortOffset(values['port-offset']);
    const source = await loadSource(values['control-plane'], values.config, values.from, offset);
    if (source === undefined) return 1;
    const result = runSimulation({ snapshot: source.snapshot, proxy: source.proxy, request, locate: (vs) => source.locate(vs) });
    if (values.json) {
      const { kind, description, version, proxyDefaulted, warnings } = source;
      const { outcome, reason, effect, ...details } = result;
      console.log(JSON.stringify({ matched: outcome === 'matched', outcome, reason, effect, source: { kind, description, version, proxyDefaulted, warnings }, ...details }, null, 2));
    } else {
      console.log(formatReport(result, source));
      for (const warning of source.warnings) console.error(`warning: ${warning}`);
    }
    return result.outcome === 'matched' ? 0 : 1;
  } catch (error) {
    // Bad input is 2; anything else (a control plane answering an error) is 1, like no route.
    console.error(`skiff simulate: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** The snapshot source the flags ask for; undefined (after printing why) when a named control plane is down. */
async function loadSource(controlPlane: string | undefined, config: string | undefined, from: string | undefined, offset: number): Promise<SnapshotSource | undefined> {
  if (config !== undefined) return fromConfigDir(resolve(config), from, offset, undefined);
  const url = controlPlane !== undefined ? controlPlaneUrlFlag(controlPlane) : localControlPlaneUrl(offset);
  try {
    return await fromControlPlane(url, from);
  } catch (error) {
    if (!(error instanceof UnreachableError)) throw error;
    if (controlPlane !== undefined) {
      console.error(`skiff simulate: ${error.message}: is the mesh running? start it with \`npm start\`, or pass --config <dir> to simulate offline`);
      return undefined;
    }
    return fromConfigDir(resolve('config'), from, offset, `no control plane at ${url}`);
  }
}
