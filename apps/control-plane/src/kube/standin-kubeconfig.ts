// For tests: the API server stand-in (libs/testing) per test file, and client-node pointed at it through its kubeconfig.
import { after, before } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeApiStandIn, type KubeApiStandIn } from '@skiff/testing';

export function standInKubeConfig(api: KubeApiStandIn): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig);
  return kc;
}

/** One stand-in for a test file: started before its tests, closed after them. */
export function useKubeApiStandIn(setup?: (api: KubeApiStandIn) => void): { readonly api: KubeApiStandIn; kubeConfig(): KubeConfig } {
  let started: KubeApiStandIn | undefined;
  before(async () => {
    started = await startKubeApiStandIn();
    setup?.(started);
  });
  after(async () => {
    await started?.close();
  });
  const current = () => {
    if (!started) throw new Error('the API server stand-in starts in before(); use it inside tests');
    return started;
  };
  return {
    get api() {
      return current();
    },
    kubeConfig: () => standInKubeConfig(current()),
  };
}
