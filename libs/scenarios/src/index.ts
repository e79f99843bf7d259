export * from './canary-analysis.js';
export * from './canary-spec.js';
export * from './canary-routing.js';
