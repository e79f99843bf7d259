// Which DestinationRule governs each service for one proxy, and the traffic policy it puts in
// force. Istio applies one DestinationRule per host: the one in the proxy's own namespace wins,
// then the rest in namespace/name order; the others are reported, not merged.
import type { DestinationRule, Loaded, TrafficPolicy } from '@skiff/api';
import { describeResource } from './describe.js';
import { isVisibleTo } from './export-to.js';
import { hostCovers, resolveHost } from './hosts.js';
import { compareKeys } from './order.js';

export type Warn = (message: string) => void;

export interface DestinationRuleIndex {
  /** The rule for a service FQDN: an exact host first, else the most specific wildcard host. */
  forHost(fqdn: string): Loaded<DestinationRule> | undefined;
}

interface Candidate {
  rule: Loaded<DestinationRule>;
  host: string;
}

/** Indexes the rules visible from `proxyNamespace`; `rules` must already be in namespace/name order. */
export function indexDestinationRules(
  rules: readonly Loaded<DestinationRule>[],
  proxyNamespace: string,
  knownNamespaces: ReadonlySet<string>,
  warn: Warn,
): DestinationRuleIndex {
  const byHost = new Map<string, Candidate[]>();
  for (const rule of rules) {
    if (!isVisibleTo(rule.spec.exportTo, rule.metadata.namespace, proxyNamespace)) continue;
    const host = resolveHost(rule.spec.host, rule.metadata.namespace, knownNamespaces);
    let list = byHost.get(host);
    if (!list) byHost.set(host, (list = []));
    list.push({ rule, host });
  }
  const exact = new Map<string, Loaded<DestinationRule>>();
  const wildcards: Candidate[] = [];
  for (const [host, candidates] of byHost) {
    // Stable sort: own namespace first, otherwise the namespace/name order the input already has.
    const ordered = [...candidates].sort((a, b) => Number(b.rule.metadata.namespace === proxyNamespace) - Number(a.rule.metadata.namespace === proxyNamespace));
    const winner = ordered[0] as Candidate;
    if (ordered.length > 1) {
      const ignored = ordered.slice(1).map((c) => describeResource(c.rule)).join(', ');
      warn(
        `conflict: ${ordered.length} DestinationRules for host ${host}; using ${describeResource(winner.rule)} and ignoring ${ignored}. ` +
          `Istio applies one DestinationRule per host: merge their subsets and policies into one.`,
      );
    }
    if (host.includes('*')) wildcards.push(winner);
    else exact.set(host, winner.rule);
  }
  // Most specific wildcard first ("*.default.svc.cluster.local" before "*").
  wildcards.sort((a, b) => compareKeys([-a.host.length, a.host], [-b.host.length, b.host]));
  return {
    forHost(fqdn) {
      return exact.get(fqdn) ?? wildcards.find((c) => hostCovers(c.host, fqdn))?.rule;
    },
  };
}

/**
 * The policy in force for one port: top level, then the top level's portLevelSettings for the
 * port, then the subset's, then the subset's portLevelSettings, each field by field (Istio's
 * merge: the narrower setting wins).
 */
export function mergeTrafficPolicy(top: TrafficPolicy | undefined, subset: TrafficPolicy | undefined, port?: number): TrafficPolicy | undefined {
  if (!top && !subset) return undefined;
  const levels = [top, portLevel(top, port), subset, portLevel(subset, port)];
  const merged: TrafficPolicy = {};
  for (const field of ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const) {
    for (const level of levels) {
      const value = level?.[field];
      if (value !== undefined) (merged as Record<string, unknown>)[field] = value;
    }
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}

function portLevel(policy: TrafficPolicy | undefined, port: number | undefined): TrafficPolicy | undefined {
  if (port === undefined) return undefined;
  const settings = policy?.portLevelSettings?.find((p) => p.port.number === port);
  if (!settings) return undefined;
  const { port: _port, ...rest } = settings;
  return rest;
}
