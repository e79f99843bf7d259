// `skiff inject`: adds Skiff's sidecar to the pods of Kubernetes manifests, like
// `istioctl kube-inject -f`. The manifests go to stdout (pipe them to `kubectl apply -f -`), what
// was done to each workload to stderr.
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { injectCompose, injectManifests, looksLikeCompose } from '@skiff/kube';
import { UsageError } from '../usage-error.js';

export const INJECT_HELP = `usage: skiff inject -f <manifests.yaml|docker-compose.yaml|-> [options]

Kubernetes manifests: adds Skiff's sidecar container to every pod template (Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod), like istioctl kube-inject, and prints them:

  skiff inject -f k8s/samples/reviews.yaml | kubectl apply -f -
  skiff inject -f deployment.yaml --transparent -o deployment.injected.yaml

A compose file (top-level "services:"): each service gets a sidecar service sharing its network
namespace and HTTP_PROXY/HTTPS_PROXY/grpc_proxy pointing at it; the control plane, the gateway
(port 8080 for Gateway port 80) and their volumes are added, and --config-dir is mounted:

  skiff inject -f docker-compose.yaml -o docker-compose.mesh.yaml && docker compose -f docker-compose.mesh.yaml up

A compose service's port is its label skiff.dev/port, else its first "expose", else the
container side of its first "ports"; its service and version are its labels app and version
(default: the service name, v1); skiff.dev/inject: "false" leaves it alone.

A pod needs an "app" label (its service) and may have a "version" label (its subset). Pods
annotated sidecar.istio.io/inject: "false", already injected, or on the host network are left
alone. Comments and other documents are kept.

  -f, --filename <file>    the manifests; "-" reads stdin
  -o, --output <file>      write the result here instead of stdout
  --transparent            add the init container that redirects the pod's TCP through the sidecar
                           (iptables, NET_ADMIN; like istio-init); without it, apps get
                           SKIFF_OUTBOUND_PROXY and call through the sidecar as an HTTP proxy
  --control-plane <addr>   discovery address pods dial (default: skiff-control-plane.skiff-system:15012)
  --proxy-image <image>    the sidecar image (default: skiff/proxy:0.1.0)
  --init-image <image>     the init image (default: skiff/init:0.1.0)
  --app-port <n>           the port apps listen on behind the sidecar (default: the first
                           container's first containerPort, else 9080)
  --config-dir <dir>       compose: the Istio YAML to mount, relative to the compose file
                           (default: ./config)
  --control-plane-image <image>, --gateway-image <image>
                           compose: the images (default: skiff/control-plane:0.1.0, skiff/gateway:0.1.0)
  -h, --help               this text`;

export async function inject(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      filename: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      transparent: { type: 'boolean' },
      'control-plane': { type: 'string' },
      'proxy-image': { type: 'string' },
      'init-image': { type: 'string' },
      'app-port': { type: 'string' },
      'config-dir': { type: 'string' },
      'control-plane-image': { type: 'string' },
      'gateway-image': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(INJECT_HELP);
    return 0;
  }
  try {
    if (!values.filename) throw new UsageError('give the manifests with -f <file> (or -f - for stdin), e.g. skiff inject -f deployment.yaml');
    if (values.filename !== '-' && !existsSync(values.filename)) throw new UsageError(`-f ${values.filename}: no such file`);
    const appPort = values['app-port'] === undefined ? undefined : Number(values['app-port']);
    if (appPort !== undefined && !(Number.isInteger(appPort) && appPort > 0 && appPort < 65536)) throw new UsageError(`--app-port must be a port number, got "${values['app-port']}"`);
    const text = readFileSync(values.filename === '-' ? 0 : values.filename, 'utf8');
    const name = values.filename === '-' ? '(stdin)' : values.filename;
    if (looksLikeCompose(text)) {
      if (values.transparent) throw new UsageError('--transparent is for Kubernetes manifests; compose files get explicit-proxy sidecars (see compose.transparent.yaml for the samples\' transparent mode)');
      const composed = injectCompose(name, text, {
        proxyImage: values['proxy-image'] ?? 'skiff/proxy:0.1.0',
        controlPlaneImage: values['control-plane-image'] ?? 'skiff/control-plane:0.1.0',
        gatewayImage: values['gateway-image'] ?? 'skiff/gateway:0.1.0',
        configDir: values['config-dir'] ?? './config',
      });
      if (values.output) writeFileSync(values.output, composed.yaml);
      else process.stdout.write(composed.yaml);
      for (const line of composed.report) console.error(`skiff inject: ${line}`);
      return 0;
    }
    const result = injectManifests(values.filename === '-' ? '(stdin)' : values.filename, text, {
      controlPlane: values['control-plane'] ?? 'skiff-control-plane.skiff-system:15012',
      proxyImage: values['proxy-image'] ?? 'skiff/proxy:0.1.0',
      initImage: values['init-image'] ?? 'skiff/init:0.1.0',
      transparent: values.transparent === true,
      ...(appPort !== undefined ? { appPort } : {}),
    });
    if (values.output) writeFileSync(values.output, result.yaml);
    else process.stdout.write(result.yaml);
    for (const line of result.report) console.error(`skiff inject: ${line}`);
    if (result.report.length === 0) console.error('skiff inject: no pod templates in these manifests; nothing injected');
    return 0;
  } catch (error) {
    console.error(`skiff inject: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
