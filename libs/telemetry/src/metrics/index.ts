export * from './observed-request.js';
export * from './istio-labels.js';
export * from './proxy-metrics.js';
export * from './metrics-server.js';
export * from './parse-prometheus.js';
