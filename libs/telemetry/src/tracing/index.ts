export * from './propagation.js';
export * from './hop-tracer.js';
export * from './proxy-tracing.js';
export * from './tracing-flags.js';
