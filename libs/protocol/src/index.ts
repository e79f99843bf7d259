export * from './discovery.js';
export * from './certificate-provider.js';
