export * from './canary-analysis.js';
export * from './canary-spec.js';
