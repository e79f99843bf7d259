export * from './resources.js';
export * from './snapshot.js';
export * from './workload.js';
