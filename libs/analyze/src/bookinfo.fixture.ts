// A Bookinfo-like config set (ingress Gateway -> frontend -> reviews v1/v2 -> ratings, with
// subsets, a canary split, a header match, a retry and a mirror) that must raise no finding.
import { service } from './test-helpers.js';

export const BOOKINFO: Record<string, string> = {
  'bookinfo/gateway.yaml': `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts: ["*"]
  gateways: [istio-system/bookinfo-gateway]
  http:
    - match:
        - uri: { prefix: /api/ }
      route:
        - destination: { host: frontend, port: { number: 9080 } }
    - route:
        - destination: { host: frontend.default.svc.cluster.local }
`,
  'bookinfo/reviews.yaml': `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
    - match:
        - headers:
            end-user: { exact: jason }
      route:
        - destination: { host: reviews, subset: v2 }
    - route:
        - destination: { host: reviews, subset: v1 }
          weight: 90
        - destination: { host: reviews, subset: v2 }
          weight: 10
      mirror: { host: reviews, subset: v2 }
      retries: { attempts: 2 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews.default.svc.cluster.local
  subsets:
    - name: v1
      labels: { version: v1 }
    - name: v2
      labels: { version: v2 }
`,
  'bookinfo/ratings.yaml': `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
    - route:
        - destination: { host: ratings }
      timeout: 2s
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: { simple: ROUND_ROBIN }
---
# Not a mesh resource: skipped with a warning by the per-file parser, ignored here.
apiVersion: v1
kind: Service
metadata:
  name: ratings
spec:
  ports: [{ port: 9080 }]
`,
};

export const BOOKINFO_SERVICES = [
  service('frontend.default.svc.cluster.local', ['v1']),
  service('reviews.default.svc.cluster.local', ['v1', 'v2']),
  service('ratings.default.svc.cluster.local', ['v1']),
];
