export * from './proxy.js';
export * from './core/snapshot-holder.js';
export * from './core/compiled-snapshot.js';
export * from './core/xds-client.js';
export * from './core/request-target.js';
export * from './core/hop-by-hop.js';
export * from './core/errors.js';
export { identityFromFlags, type IdentityFlags } from './security/identity-flags.js';
