// Config for the CLI tests: Istio's classic header match (end-user: jason -> reviews v2, with a
// timeout and a fault to show), a 75/25 split for everyone else, and ratings routes that only
// match /ratings, one of them only for callers labelled version=v2, so the caller matters and
// a request can miss every route of a virtual host.
export const headerMatchConfig = `apiVersion: networking.istio.io/v1
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
---
apiVersion: networking.istio.io/v1
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
      timeout: 2s
      fault:
        delay:
          fixedDelay: 1500ms
          percentage:
            value: 25
      route:
        - destination:
            host: reviews
            subset: v2
    - route:
        - destination:
            host: reviews
            subset: v1
          weight: 75
        - destination:
            host: reviews
            subset: v2
          weight: 25
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
    - ratings
  http:
    - name: from-v2
      match:
        - sourceLabels:
            version: v2
          uri:
            prefix: /ratings
      timeout: 500ms
      route:
        - destination:
            host: ratings
    - match:
        - uri:
            prefix: /ratings
      route:
        - destination:
            host: ratings
`;
