export * from './logger.js';
export * from './trace-headers.js';
