// Config used by the whole-mesh tests: the repo's gateway, and reviews routing with Istio's
// classic header match (end-user: jason -> v2) in front of a weighted split.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@skiff/testing';

export const gatewayYaml = readFileSync(join(repoRoot, 'config/gateway.yaml'), 'utf8');

export const destinationRuleYaml = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
`;

export function reviewsVirtualService(v1: number, v2: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
    - name: testers
      match:
        - headers:
            end-user:
              exact: jason
      route:
        - destination:
            host: reviews
            subset: v2
    - route:
        - destination:
            host: reviews
            subset: v1
          weight: ${v1}
        - destination:
            host: reviews
            subset: v2
          weight: ${v2}
`;
}

export function meshConfig(v1: number, v2: number): Record<string, string> {
  return {
    'gateway.yaml': gatewayYaml,
    'reviews-dr.yaml': destinationRuleYaml,
    'reviews-vs.yaml': reviewsVirtualService(v1, v2),
  };
}

export interface Product {
  reviewsVersion?: string;
  requestId?: string;
  reviews?: { version?: string; reviews?: Array<{ rating?: { stars?: number } }> };
}

/** A Canary for reviews v1 -> v2 (docs/canary.md) with the analysis a test needs. */
export function canarySpec(analysis: { threshold: number; maxP99Ms: number; interval: string; stepWeights: number[] }): string {
  return `apiVersion: skiff.dev/v1alpha1
kind: Canary
metadata:
  name: reviews
spec:
  service: reviews
  primary: v1
  canary: v2
  analysis:
    interval: ${analysis.interval}
    threshold: ${analysis.threshold}
    stepWeights: [${analysis.stepWeights.join(', ')}]
    metrics:
    - name: request-success-rate
      thresholdRange: { min: 99 }
    - name: request-duration
      thresholdRange: { max: ${analysis.maxP99Ms} }
`;
}
