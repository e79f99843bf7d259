export * from './mesh.js';
export * from './wait.js';
export * from './stats.js';
export * from './http.js';
export * from './apply-config.js';
export * from './sidecar-client.js';
export * from './app-admin.js';
export * from './jwt-issuer.js';
