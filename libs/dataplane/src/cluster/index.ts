// Cluster-level upstream behaviour from a DestinationRule: typed traffic policy, hosts, load
// balancers, outlier detection and circuit breakers.
export * from './traffic-policy.js';
export * from './host.js';
export * from './load-balancer.js';
export * from './round-robin.js';
export * from './random.js';
export * from './least-request.js';
export * from './ring-hash.js';
export * from './pick-uniform.js';
export * from './hash.js';
export * from './hash-key.js';
export * from './outlier-detector.js';
export * from './circuit-breaker.js';
