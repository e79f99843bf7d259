// The YAML of Istio's traffic-management tasks (istio.io/latest/docs/tasks/traffic-management/),
// in Istio's own shape, with Skiff's sample services in Bookinfo's places: frontend for
// productpage, reviews v1/v2, ratings; every service on port 9080, subsets by label `version`.
// One resource per file, so that applying a task's file replaces that resource, as
// `kubectl apply` would. The scenarios, the workshop labs and the e2e tests all use these.

// samples/bookinfo/networking/destination-rule-all.yaml, for the services Skiff has.
export const reviewsDestinationRule = `apiVersion: networking.istio.io/v1
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

export const ratingsDestinationRule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  subsets:
  - name: v1
    labels:
      version: v1
`;

// samples/bookinfo/networking/virtual-service-all-v1.yaml (reviews and ratings).
export const reviewsAllV1 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
`;

export const ratingsAllV1 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - route:
    - destination:
        host: ratings
        subset: v1
`;

// Request routing: samples/bookinfo/networking/virtual-service-reviews-test-v2.yaml
export const reviewsTestV2 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - match:
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
`;

// Traffic shifting: samples/bookinfo/networking/virtual-service-reviews-50-v3.yaml and its
// siblings (80-20, 90-10), with v2 in v3's place.
export function reviewsWeighted(v1: number, v2: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
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

// Fault injection: samples/bookinfo/networking/virtual-service-ratings-test-delay.yaml (7s there).
export function ratingsTestDelay(fixedDelay: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
      delay:
        percentage:
          value: 100.0
        fixedDelay: ${fixedDelay}
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
`;
}

// Fault injection: samples/bookinfo/networking/virtual-service-ratings-test-abort.yaml
export const ratingsTestAbort = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
      abort:
        percentage:
          value: 100.0
        httpStatus: 500
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
`;

// Fault injection at a percentage, as in the VirtualService reference's HTTPFaultInjection.Abort
// example (there: 0.1% of ratings with 400).
export function reviewsAbort(percent: number, httpStatus: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
    fault:
      abort:
        percentage:
          value: ${percent}
        httpStatus: ${httpStatus}
`;
}

// Request timeouts: the task's reviews VirtualService (route to v2, timeout 0.5s).
export function reviewsV2Timeout(timeout: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
    timeout: ${timeout}
`;
}

// Retries: the traffic-management concepts page's retry example (ratings there), with retryOn
// as in the VirtualService reference's HTTPRetry example.
export function reviewsV2Retries(attempts: number, perTryTimeout = '2s', retryOn = '5xx'): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
    retries:
      attempts: ${attempts}
      perTryTimeout: ${perTryTimeout}
      retryOn: ${retryOn}
`;
}

// Circuit breaking: the task's DestinationRule (httpbin there) with its connectionPool, on
// reviews, keeping the subsets the VirtualService routes to.
export const reviewsCircuitBreaker = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`;

// Outlier detection: the task's outlierDetection (baseEjectionTime 3m there, 3s here so a
// test can watch the host come back), on reviews without subsets, so one cluster holds the v1
// and v2 endpoints and ejection decides which of them gets traffic.
export const reviewsOutlierDetection = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3s
      maxEjectionPercent: 100
`;

export const reviewsAnyVersion = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
`;

// Mirroring: the task's VirtualService (httpbin there): all traffic to v1, a copy of all of it
// to v2.
export const reviewsMirrorV2 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 100
    mirror:
      host: reviews
      subset: v2
    mirrorPercentage:
      value: 100.0
`;

// Security tasks. Mutual TLS migration: the mesh-wide PeerAuthentication (in the root namespace).
export function peerAuthentication(mode: 'PERMISSIVE' | 'STRICT' | 'DISABLE', namespace = 'istio-system'): string {
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: ${namespace}
spec:
  mtls:
    mode: ${mode}
`;
}

// Authorization for HTTP traffic: the task's ratings policy (samples/bookinfo/platform/kube/rbac/
// ratings-policy.yaml), allowing GET from the reviews service account only, plus the gRPC method
// Skiff's reviews v2 calls (gRPC is a POST to /package.Service/Method).
export const ratingsAllowReviews = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ratings-viewer
spec:
  selector:
    matchLabels:
      app: ratings
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/reviews"]
    to:
    - operation:
        methods: ["GET"]
    - operation:
        methods: ["POST"]
        paths: ["/skiff.samples.ratings.v1.Ratings/*"]
`;

// A DENY policy beside it: DENY is evaluated before ALLOW, so it wins.
export const ratingsDenyReviews = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ratings-deny-reviews
spec:
  selector:
    matchLabels:
      app: ratings
  action: DENY
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/reviews"]
`;

/** One config file holding a VirtualService and its DestinationRule, as config/reviews.yaml does. */
export function withDestinationRule(virtualService: string, destinationRule: string): string {
  return `${virtualService}---\n${destinationRule}`;
}
