// Pieces the sample apps share.
export * from './request-stats.js';
export * from './admin-server.js';
export * from './tcp-echo-server.js';
export * from './ratings-grpc.js';
export * from './grpc-beside-http.js';
export * from './behaviour.js';
export * from './external-standin.js';
export * from './https-hello.js';
export * from './process-args.js';
