// For tests: client-node pointed at the API server stand-in (libs/testing) through its kubeconfig.
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeApiStandIn } from '@skiff/testing';

export function standInKubeConfig(api: KubeApiStandIn): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig);
  return kc;
}
