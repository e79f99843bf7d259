// For tests: a kubeconfig that points client-node at the API server stand-in (libs/testing).
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeApiStandIn } from '@skiff/testing';

export function standInKubeConfig(api: KubeApiStandIn): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'standin', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'skiff', token: api.token }],
    contexts: [{ name: 'standin', cluster: 'standin', user: 'skiff' }],
    currentContext: 'standin',
  });
  return kc;
}
