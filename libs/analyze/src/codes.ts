// The stable codes analyze reports, one per kind of finding. IST codes are istioctl's own (same
// number, same meaning), so a message can be looked up in Istio's docs; SKF codes are findings
// istioctl does not make but Skiff needs, because Skiff resolves those cases differently.

export interface AnalysisCode {
  code: string;
  name: string;
  severity: 'error' | 'warning';
  description: string;
}

function code(code: string, name: string, severity: AnalysisCode['severity'], description: string): AnalysisCode {
  return { code, name, severity, description };
}

export const CODES = {
  ReferencedResourceNotFound: code('IST0101', 'ReferencedResourceNotFound', 'error', 'a subset, host, port or gateway a VirtualService names does not exist'),
  ConflictingMeshGatewayVirtualServiceHosts: code(
    'IST0109',
    'ConflictingMeshGatewayVirtualServiceHosts',
    'warning',
    'two VirtualServices for the mesh claim the same host; only one of them routes it',
  ),
  VirtualServiceUnreachableRule: code('IST0130', 'VirtualServiceUnreachableRule', 'warning', 'an http route comes after a route that matches every request, so it is never used'),
  DestinationRuleSubsetNotSelectPods: code('IST0173', 'DestinationRuleSubsetNotSelectPods', 'warning', 'a DestinationRule subset selects no running workload of its service'),
  UnboundGateway: code('SKF0001', 'UnboundGateway', 'warning', 'no VirtualService binds the Gateway, so it routes nothing'),
  ConflictingDestinationRuleHosts: code('SKF0002', 'ConflictingDestinationRuleHosts', 'warning', 'two DestinationRules in one namespace configure the same host; only one of them applies'),
  ConflictingGatewayVirtualServiceHosts: code(
    'SKF0003',
    'ConflictingGatewayVirtualServiceHosts',
    'warning',
    'two VirtualServices bound to the same Gateway claim the same host; Skiff uses one, Istio would merge them',
  ),
  DuplicateResource: code('SKF0004', 'DuplicateResource', 'warning', 'two files define a resource of the same kind, namespace and name; only the first is used'),
} as const satisfies Record<string, AnalysisCode>;

export type CodeName = keyof typeof CODES;
