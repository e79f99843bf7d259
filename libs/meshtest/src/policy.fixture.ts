// A policy on Bookinfo's workloads that uses every expectation kind, and a MeshTest with, for each
// kind, a case that must pass and a case that is wrong on purpose (its name says which). The unit
// tests judge it offline; the e2e test runs the same file offline and --live and compares.

export const POLICY_CONFIG = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: skiff-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: frontend}
spec:
  hosts: ["*"]
  gateways: [skiff-gateway]
  http:
  - route: [{destination: {host: frontend, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - name: jason-to-v2
    match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
    headers:
      request: {set: {x-tester: jason}, remove: [x-debug]}
      response: {set: {x-route: jason-to-v2}}
    timeout: 3s
    retries: {attempts: 2, perTryTimeout: 1s, retryOn: "5xx,connect-failure"}
  - name: slow-for-testers
    match: [{headers: {end-user: {exact: tester}}}]
    fault: {delay: {fixedDelay: 100ms, percentage: {value: 100}}}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: teapot-for-chaos
    match: [{headers: {end-user: {exact: chaos}}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: mirrored
    match: [{headers: {end-user: {exact: shadow}}}]
    route: [{destination: {host: reviews, subset: v1}}]
    mirror: {host: reviews, subset: v2}
    mirrorPercentage: {value: 50}
  - name: canary
    route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 20}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ratings-callers}
spec:
  selector: {matchLabels: {app: ratings}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/reviews]}}]
---
# Tokens from the control plane's test issuer: skiff test --live has it sign a case's jwt claims.
# (The e2e test points jwksUri at its own mesh's control plane.)
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: reviews-jwt}
spec:
  selector: {matchLabels: {app: reviews}}
  jwtRules:
  - issuer: skiff-test-issuer
    jwksUri: http://127.0.0.1:15014/test-issuer/jwks.json
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-zero-for-admins}
spec:
  selector: {matchLabels: {app: reviews}}
  action: DENY
  rules:
  - to: [{operation: {paths: [/reviews/0]}}]
    when: [{key: "request.auth.claims[groups]", notValues: [admins]}]
`;

/** Case name -> whether it must pass. "live": false for cases only an offline run can ask. */
export const POLICY_CASES: Record<string, { pass: boolean; live?: false }> = {};

const cases: Array<[name: string, pass: boolean, yaml: string, live?: false]> = [
  ['status 200 for jason', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {status: 200}`],
  ['status 503 for jason', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {status: 503}`],
  ['jason goes to v2', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {destination: {host: reviews, subset: v2}}`],
  ['jason goes to v1', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {destination: {host: reviews, subset: v1}}`],
  ['the canary splits 80/20', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", repeat: 1000}\n      expect: {split: {v1: 80, v2: 20}}`],
  ['the canary splits 50/50', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", repeat: 1000}\n      expect: {split: {v1: 50, v2: 50}}`],
  ['jason matches jason-to-v2', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {route: jason-to-v2}`],
  ['jason matches canary', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {route: canary}`],
  ['the route tags the response', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {headers: {response: {set: {x-route: jason-to-v2}}}}`],
  ['the route tags the response otherwise', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {headers: {response: {set: {x-route: canary}}}}`],
  ['reviews gets x-tester and no x-debug', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason, x-debug: "1"}}\n      expect: {headers: {request: {set: {x-tester: jason}, removed: [x-debug]}}}`],
  ['reviews keeps x-debug', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason, x-debug: "1"}}\n      expect: {headers: {request: {set: {x-debug: "1"}}}}`],
  ['testers wait 100ms', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: tester}}\n      expect: {fault: {delay: {fixedDelay: 100ms, percent: 100}}}`],
  ['testers wait 200ms', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: tester}}\n      expect: {fault: {delay: {fixedDelay: 200ms}}}`],
  ['chaos gets a teapot', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: chaos}}\n      expect: {status: 418, fault: {abort: {httpStatus: 418, percent: 100}}}`],
  ['chaos gets a 503', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: chaos}}\n      expect: {fault: {abort: {httpStatus: 503}}}`],
  ['jason retries twice', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {retries: {attempts: 2, perTryTimeout: 1s, retryOn: "connect-failure,5xx"}}`],
  ['jason retries five times', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {retries: {attempts: 5}}`],
  ['jason times out after 3s', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {timeout: 3s}`],
  ['jason times out after 5s', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n      expect: {timeout: 5s}`],
  ['shadow is mirrored to v2', true, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: shadow}}\n      expect: {mirror: {host: reviews, subset: v2, percent: 50}, destination: {host: reviews, subset: v1}}`],
  ['shadow is mirrored to v1', false, `request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: shadow}}\n      expect: {mirror: {host: reviews, subset: v1}}`],
  ['frontend may not call ratings', true, `request: {from: frontend, url: "http://ratings:9080/ratings/1"}\n      expect: {status: 403}`],
  ['frontend may call ratings', false, `request: {from: frontend, url: "http://ratings:9080/ratings/1"}\n      expect: {status: 200}`],
  ['reviews may call ratings', true, `request: {from: reviews-v1, url: "http://ratings:9080/ratings/1"}\n      expect: {status: 200, destination: {host: ratings}}`],
  ["frontend with reviews' identity may call ratings", true, `request: {from: frontend, principal: cluster.local/ns/default/sa/reviews, url: "http://ratings:9080/ratings/1"}\n      expect: {status: 200}`, false],
  ['admins reach /reviews/0', true, `request: {from: frontend, url: "http://reviews:9080/reviews/0", jwt: {sub: alice, groups: [admins]}}\n      expect: {status: 200}`],
  ['users are kept from /reviews/0', true, `request: {from: frontend, url: "http://reviews:9080/reviews/0", jwt: {sub: bob, groups: [users]}}\n      expect: {status: 403}`],
  ['users reach /reviews/0', false, `request: {from: frontend, url: "http://reviews:9080/reviews/0", jwt: {sub: bob, groups: [users]}}\n      expect: {status: 200}`],
  ['the gateway sends the page to frontend', true, `request: {from: gateway, url: "http://localhost/"}\n      expect: {status: 200, destination: {host: frontend}}`],
  ['an unknown caller cannot be asked', false, `request: {from: nobody, url: "http://reviews:9080/"}\n      expect: {status: 200}`],
];
for (const [name, pass, , live] of cases) POLICY_CASES[name] = { pass, ...(live === false ? { live } : {}) };

export const POLICY_TESTS = `apiVersion: skiff.dev/v1alpha1
kind: MeshTest
metadata: {name: reviews-policy}
spec:
  cases:
${cases.map(([name, , yaml]) => `    - name: ${JSON.stringify(name)}\n      ${yaml}`).join('\n')}
`;
