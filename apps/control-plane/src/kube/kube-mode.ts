// The parts the control plane adds in Kubernetes mode, assembled from its flags: one client
// configuration, the custom-resource config source, leader election (only the leader writes
// status), and TokenReview for the CA.
import { KubeConfig } from '@kubernetes/client-node';
import type { WorkloadInfo } from '@skiff/api';
import type { Logger } from '@skiff/telemetry';
import { TokenReviewer } from '../ca/token-review.js';
import type { ConfigSet } from '../config/config-set.js';
import type { KubernetesFlags } from '../flags.js';
import { KubeConfigSource } from './kube-config-source.js';
import { LeaderElector } from './leader-elector.js';

export interface KubeMode {
  kubeConfig: KubeConfig;
  /** The control plane's own namespace (its Service, its CA Secret). */
  namespace: string;
  source: KubeConfigSource;
  elector: LeaderElector;
  reviewer: TokenReviewer;
  serving: (workload: WorkloadInfo) => boolean;
  /** Every address Kubernetes lists as a ready endpoint, with its namespace. */
  readyAddresses: () => Array<{ namespace: string; address: string }>;
  stop(): Promise<void>;
}

export function loadKubeConfig(flags: KubernetesFlags): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new Error(`cannot read the kubeconfig ${flags.kubeconfig ?? '(default)'}: ${(error as Error).message}; pass --kubeconfig <file> or run in a pod with a service account`);
  } // in a pod: its service account and KUBERNETES_SERVICE_HOST
  if (!kc.getCurrentCluster()) throw new Error(`no Kubernetes cluster configured${flags.kubeconfig ? ` in ${flags.kubeconfig}` : ''}: run in a pod, set KUBECONFIG, or pass --kubeconfig`);
  return kc;
}

export function createKubeMode(
  flags: KubernetesFlags,
  options: { trustDomain: string; logger: Logger; kubeConfig?: KubeConfig; onChange: (set: ConfigSet, changed: string[]) => void; onEndpoints: (namespaces: string[]) => void },
): KubeMode {
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(flags);
  const { logger } = options;
  logger.info({ server: kubeConfig.getCurrentCluster()?.server, lease: `${flags.lease.namespace}/${flags.lease.name}`, identity: flags.identity }, 'kubernetes: config from the API server');
  const late: { source?: KubeConfigSource } = {};
  const elector = new LeaderElector({
    kubeConfig,
    logger,
    namespace: flags.lease.namespace,
    name: flags.lease.name,
    identity: flags.identity,
    onChange: (leading) => {
      if (leading) late.source?.writeStatuses(); // statuses owed while following
    },
  });
  const source = new KubeConfigSource({ kubeConfig, logger, isLeader: () => elector.leading, onChange: options.onChange, onEndpoints: options.onEndpoints });
  late.source = source;
  elector.start();
  return {
    kubeConfig,
    namespace: flags.namespace,
    source,
    elector,
    reviewer: new TokenReviewer(kubeConfig, options.trustDomain, logger),
    // Gateways route; they are nobody's endpoint, and keep their registry entry.
    serving: (w) => w.kind === 'gateway' || source.serving(w.namespace, w.service, w.address),
    readyAddresses: () => source.readyAddresses(),
    async stop() {
      await source.stop();
      await elector.stop();
    },
  };
}
