// The ratings gRPC API (proto/ratings.proto) for the sample apps: the service definition,
// loaded with proto-loader (no generated code), and a typed client.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface GetRatingsRequest {
  productId: number;
}

export interface GetRatingsResponse {
  id: number;
  ratings: Record<string, number>;
}

/** The method's path: what a VirtualService's uri match sees (`/skiff.samples.ratings.v1.Ratings/GetRatings`). */
export const GET_RATINGS_PATH = '/skiff.samples.ratings.v1.Ratings/GetRatings';

/** Finds ratings.proto from source (libs/sample-kit/src) or from a bundle (dist/apps/x, which copies it to proto/). */
export function ratingsProtoPath(): string {
  for (const candidate of [new URL('../proto/ratings.proto', import.meta.url), new URL('./proto/ratings.proto', import.meta.url)]) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(`cannot find ratings.proto next to ${fileURLToPath(import.meta.url)}; rebuild with "npm run build"`);
}

let service: grpc.ServiceDefinition | undefined;

export function ratingsService(): grpc.ServiceDefinition {
  if (service) return service;
  const definition = protoLoader.loadSync(ratingsProtoPath(), { keepCase: false, longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { skiff: { samples: { ratings: { v1: { Ratings: { service: grpc.ServiceDefinition } } } } } };
  service = pkg.skiff.samples.ratings.v1.Ratings.service;
  return service;
}

export interface RatingsClient extends grpc.Client {
  getRatings(request: GetRatingsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: GetRatingsResponse) => void): grpc.ClientUnaryCall;
}

/** A client of `target` (host:port); `authority` overrides the :authority, e.g. to call a service through its sidecar. */
export function ratingsClient(target: string, options: { authority?: string } = {}): RatingsClient {
  const Client = grpc.makeGenericClientConstructor(ratingsService(), 'Ratings');
  const channelOptions = options.authority ? { 'grpc.default_authority': options.authority } : {};
  return new Client(target, grpc.credentials.createInsecure(), channelOptions) as unknown as RatingsClient;
}
