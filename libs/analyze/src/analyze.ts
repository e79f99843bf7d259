// Cross-resource checks over a whole config set, like `istioctl analyze`: what no single file
// can show (a subset defined nowhere, a Gateway nobody binds, two resources claiming one host).
// Per-file problems (schema, weights) are the validator's; this only adds what it cannot see.
import type { Loaded, ValidationIssue } from '@skiff/api';
import { checkDestinationHosts } from './checks/destination-hosts.js';
import { checkDestinationRuleConflicts, checkVirtualServiceConflicts } from './checks/conflicts.js';
import { checkGateways } from './checks/gateways.js';
import { checkSubsetWorkloads } from './checks/subset-workloads.js';
import { checkSubsets } from './checks/subsets.js';
import { checkUnreachableRoutes } from './checks/unreachable-routes.js';
import { createContext, type KnownService } from './context.js';
import { sourceLocator } from './locate.js';

export interface AnalyzeInput {
  /** Valid resources of every file (parseConfigFile's `resources`), files in path order. */
  resources: readonly Loaded[];
  /** The per-file issues; errors there make checks that depend on the failed kind stand down. */
  issues: readonly ValidationIssue[];
  /** The service registry of a running control plane. Without it, registry checks are skipped. */
  services?: readonly KnownService[];
  /** File text by file name, to point each finding at its field's line (else the resource's line). */
  sources?: Readonly<Record<string, string>>;
}

const CHECKS = [checkSubsets, checkDestinationHosts, checkSubsetWorkloads, checkUnreachableRoutes, checkGateways, checkVirtualServiceConflicts, checkDestinationRuleConflicts];

/** The cross-resource findings only (not the input issues), ordered by file and line. */
export function analyze(input: AnalyzeInput): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const ctx = createContext(input, sourceLocator(input.sources), issues);
  for (const check of CHECKS) check(ctx);
  return issues.sort((a, b) => compare(a.file, b.file) || a.line - b.line || compare(a.field, b.field) || compare(a.message, b.message));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
