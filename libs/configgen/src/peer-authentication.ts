// The effective PeerAuthentication of one workload, composed as istiod's
// ComposePeerAuthentication does: the mesh policy (root namespace, no selector) is overridden by
// the namespace policy (no selector), which is overridden by the workload policy (a selector, in
// the workload's own namespace); UNSET inherits from the level above, PERMISSIVE when nothing is
// set; portLevelMtls is read from the workload policy only. Istio takes the oldest policy when
// several compete at one level; Skiff has no creation times and takes the first by name, with a
// warning.
import type { EffectiveMtlsMode, Loaded, MtlsMode, PeerAuthentication, PeerAuthenticationSnapshot } from '@skiff/api';
import { describeResource, resourceKey } from './describe.js';
import type { Warn } from './destination-rules.js';
import { hasSelectorLabels, policiesInScope, type PolicySubject } from './policy-scope.js';

/** Istio's default when no policy says otherwise. */
export const DEFAULT_MTLS_MODE: EffectiveMtlsMode = 'PERMISSIVE';

function effective(mode: MtlsMode | undefined, inherited: EffectiveMtlsMode): EffectiveMtlsMode {
  return mode === undefined || mode === 'UNSET' ? inherited : mode;
}

/** The first policy of a level; the others are reported, since only one can be in force. */
function pick(level: string, candidates: readonly Loaded<PeerAuthentication>[], subject: PolicySubject, warn: Warn): Loaded<PeerAuthentication> | undefined {
  const [chosen, ...ignored] = candidates;
  if (chosen && ignored.length > 0) {
    warn(
      `conflict: ${candidates.map(describeResource).join(', ')} are all ${level} PeerAuthentications for workloads in namespace ${subject.namespace}; ` +
        `Skiff uses ${resourceKey(chosen)} (first by name; Istio would use the oldest). Merge them into one policy.`,
    );
  }
  return chosen;
}

export function resolvePeerAuthentication(
  policies: readonly Loaded<PeerAuthentication>[],
  subject: PolicySubject,
  rootNamespace: string,
  warn: Warn,
): PeerAuthenticationSnapshot {
  const inScope = policiesInScope(policies, subject, rootNamespace);
  const wide = inScope.filter((p) => !hasSelectorLabels(p.spec.selector));
  const mesh = pick('mesh-wide', wide.filter((p) => p.metadata.namespace === rootNamespace), subject, warn);
  const namespace = pick('namespace-wide', wide.filter((p) => p.metadata.namespace !== rootNamespace), subject, warn);
  // A selector policy in the root namespace is not a workload policy for other namespaces (Istio ignores it).
  const workload = pick('workload', inScope.filter((p) => hasSelectorLabels(p.spec.selector) && p.metadata.namespace !== rootNamespace), subject, warn);

  let mode = DEFAULT_MTLS_MODE;
  const used: string[] = [];
  for (const policy of [mesh, namespace, workload]) {
    if (!policy) continue;
    mode = effective(policy.spec.mtls?.mode, mode);
    used.push(resourceKey(policy));
  }
  const portLevel: Record<string, EffectiveMtlsMode> = {};
  for (const port of Object.keys(workload?.spec.portLevelMtls ?? {}).sort((a, b) => Number(a) - Number(b))) {
    portLevel[port] = effective(workload?.spec.portLevelMtls?.[port]?.mode, mode);
  }
  return { mode, portLevel, policies: used };
}
