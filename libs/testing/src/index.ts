export * from './mesh.js';
export * from './wait.js';
export * from './stats.js';
export * from './http.js';
