// The YAML of Istio's end-user authentication and JWT authorization tasks
// (istio.io/latest/docs/tasks/security/authentication/authn-policy/ and
// .../authorization/authz-jwt/), in Istio's own shape, with Skiff's workloads in httpbin's and
// the ingress gateway's places, plus a client that sends any method through a sidecar.
import { ProxyAgent, request } from 'undici';
import type { TestMesh } from '@skiff/testing';

/** Istio's sample issuer name: tokens carry iss = sub = testing@secure.istio.io. */
export const ISSUER = 'testing@secure.istio.io';
export const PRINCIPAL = `${ISSUER}/${ISSUER}`;

// The repo's gateway, plus a route that sends /ratings/* straight to ratings, so that ratings
// can be called from namespace istio-system (the gateway's identity) as well as from default.
export const gatewayWithRatingsRoute = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: skiff-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
    - port:
        number: 80
        name: http
        protocol: HTTP
      hosts:
        - "*"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: frontend
spec:
  hosts:
    - "*"
  gateways:
    - skiff-gateway
  http:
    - match:
        - uri:
            prefix: /ratings/
      route:
        - destination:
            host: ratings
            port:
              number: 9080
    - route:
        - destination:
            host: frontend
            port:
              number: 9080
`;

export interface JwtRuleOptions {
  audiences?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: Array<{ header: string; claim: string }>;
}

function jwtRuleYaml(jwksUri: string, options: JwtRuleOptions): string {
  const lines = [`  - issuer: "${ISSUER}"`, `    jwksUri: "${jwksUri}"`];
  if (options.audiences) lines.push(`    audiences: ${JSON.stringify(options.audiences)}`);
  if (options.outputPayloadToHeader) lines.push(`    outputPayloadToHeader: ${options.outputPayloadToHeader}`);
  if (options.forwardOriginalToken !== undefined) lines.push(`    forwardOriginalToken: ${options.forwardOriginalToken}`);
  if (options.outputClaimToHeaders) {
    lines.push('    outputClaimToHeaders:');
    for (const { header, claim } of options.outputClaimToHeaders) lines.push(`    - header: ${header}`, `      claim: ${claim}`);
  }
  return lines.join('\n');
}

/** A RequestAuthentication for the workloads with `labels` in `namespace`. */
export function requestAuthentication(name: string, namespace: string, labels: Record<string, string>, jwksUri: string, options: JwtRuleOptions = {}): string {
  return `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector:
    matchLabels:
${Object.entries(labels)
  .map(([k, v]) => `      ${k}: ${v}`)
  .join('\n')}
  jwtRules:
${jwtRuleYaml(jwksUri, options)}
`;
}

/** authn-policy task, "End-user authentication": the ingress gateway validates tokens. */
export const gatewayRequestAuthentication = (jwksUri: string, options: JwtRuleOptions = {}) =>
  requestAuthentication('jwt-example', 'istio-system', { istio: 'ingressgateway' }, jwksUri, options);

/** authn-policy task, "Require a valid token" (written as ALLOW requestPrincipals ["*"]). */
export const gatewayRequireToken = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: frontend-ingress
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["*"]
`;

/** authn-policy task, "Require valid tokens per-path": DENY without a token, only under /api/. */
export const gatewayRequireTokenPerPath = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: frontend-ingress
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: DENY
  rules:
  - from:
    - source:
        notRequestPrincipals: ["*"]
    to:
    - operation:
        paths: ["/api/*"]
`;

/** authz-jwt task: only requests with a valid token of this principal (and, with `group`, in this group). */
export function reviewsRequireJwt(group?: string): string {
  const when = group
    ? `
    when:
    - key: request.auth.claims[groups]
      values: ["${group}"]`
    : '';
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: default
spec:
  selector:
    matchLabels:
      app: reviews
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["${PRINCIPAL}"]${when}
`;
}

/** DENY the gateway's namespace; DENY GETs outside /ratings/*. */
export const ratingsDenyPolicies = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-ingress-namespace
  namespace: default
spec:
  selector:
    matchLabels:
      app: ratings
  action: DENY
  rules:
  - from:
    - source:
        namespaces: ["istio-system"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-get-outside-ratings
  namespace: default
spec:
  selector:
    matchLabels:
      app: ratings
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["GET"]
        notPaths: ["/ratings/*"]
`;

// AUDIT of /ratings/* only: if AUDIT acted as ALLOW, other paths would be denied; as DENY,
// /ratings/* would be.
export const ratingsAuditRatings = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: audit-ratings
  namespace: default
spec:
  selector:
    matchLabels:
      app: ratings
  action: AUDIT
  rules:
  - to:
    - operation:
        paths: ["/ratings/*"]
`;

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Sends one request with any method through `workload`'s outbound listener, as its app would. */
export async function sendThrough(mesh: TestMesh, workload: string, method: string, url: string, headers: Record<string, string> = {}): Promise<ProxiedResponse> {
  const ports = mesh.plan.ports.workloads[workload];
  if (!ports) throw new Error(`sendThrough: no workload "${workload}"; the mesh has ${Object.keys(mesh.plan.ports.workloads).join(', ')}`);
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${ports.outbound}`, proxyTunnel: false });
  try {
    const res = await request(url, { dispatcher: agent, method: method as 'GET', headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } finally {
    await agent.close();
  }
}

/** What the app saw of its last request (GET /admin/last-request on reviews and ratings). */
export interface LastRequest {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
}

/** The claims in a base64url JWT payload, as an app reading x-jwt-payload would decode them. */
export function decodePayload(base64url: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(base64url, 'base64url').toString('utf8')) as Record<string, unknown>;
}
