export type * from './mesh-view.js';
export * from './otlp-json.js';
export * from './trace-store.js';
export * from './metrics-window.js';
export * from './mesh-graph.js';
