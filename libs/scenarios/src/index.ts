export * from './canary-analysis.js';
export * from './canary-spec.js';
export * from './canary-routing.js';
export * from './scripted.js';
export * from './ab-scenario.js';
export * from './binomial.js';
