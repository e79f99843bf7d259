// @skiff/meshtest: mesh policy tests (`skiff test`) and request simulation (`skiff simulate`),
// worked out with the proxies' own routing and authorization code. Pure: no I/O, no clocks.
export * from './request.js';
export * from './simulation.js';
export * from './schema.js';
export * from './observation.js';
export * from './workloads.js';
export * from './offline.js';
export * from './judge.js';
export * from './report.js';
