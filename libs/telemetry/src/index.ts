export * from './logger.js';
export * from './trace-headers.js';
export * from './metrics/index.js';
export * from './access-log.js';
export * from './proxy-telemetry.js';
export * from './view/index.js';
export * from './tracing/index.js';
