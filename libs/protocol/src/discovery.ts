// Loads discovery.proto at run time with @grpc/proto-loader (no code generation step), and
// gives it TypeScript types. The .proto stays the single source of truth for the wire format.
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface NodeMessage {
  id: string;
  kind: string;
  service: string;
  namespace: string;
  serviceAccount: string;
  labels: Record<string, string>;
  address: string;
  inboundPort: number;
  servicePort: number;
  adminPort?: number;
}

export interface DiscoveryRequest {
  node?: NodeMessage | null;
  versionInfo: string;
  responseNonce: string;
  errorDetail?: { message: string } | null;
}

export interface DiscoveryResponse {
  versionInfo: string;
  nonce: string;
  /** Either this or snapshotGzip carries the snapshot. */
  snapshotJson?: string;
  snapshotGzip?: Buffer | Uint8Array;
}

/** The snapshot JSON of a response, from whichever field carries it. */
export function snapshotJsonOf(response: DiscoveryResponse): string {
  if (response.snapshotGzip && response.snapshotGzip.length > 0) return gunzipSync(response.snapshotGzip).toString('utf8');
  return response.snapshotJson ?? '';
}

export type DiscoveryStream = grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
export type ServerDiscoveryStream = grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

export interface AggregatedDiscoveryClient extends grpc.Client {
  Stream(options?: grpc.CallOptions): DiscoveryStream;
}

export interface AggregatedDiscoveryHandlers extends grpc.UntypedServiceImplementation {
  Stream: grpc.handleBidiStreamingCall<DiscoveryRequest, DiscoveryResponse>;
}

/** Finds the .proto whether running from source (libs/protocol/src) or from a bundle (dist/apps/x). */
export function protoPath(name: string): string {
  const candidates = [new URL(`../proto/${name}`, import.meta.url), new URL(`./proto/${name}`, import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(`cannot find ${name} next to ${fileURLToPath(import.meta.url)}; rebuild with "npm run build"`);
}

let loaded: grpc.GrpcObject | undefined;

function discoveryPackage(): grpc.GrpcObject {
  if (!loaded) {
    const definition = protoLoader.loadSync(protoPath('discovery.proto'), {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    loaded = grpc.loadPackageDefinition(definition);
  }
  return loaded;
}

function serviceConstructor(): grpc.ServiceClientConstructor {
  const pkg = discoveryPackage() as unknown as { skiff: { discovery: { v1: { AggregatedDiscovery: grpc.ServiceClientConstructor } } } };
  return pkg.skiff.discovery.v1.AggregatedDiscovery;
}

export function discoveryServiceDefinition(): grpc.ServiceDefinition {
  return serviceConstructor().service;
}

export function createDiscoveryClient(target: string): AggregatedDiscoveryClient {
  const Client = serviceConstructor();
  return new Client(target, grpc.credentials.createInsecure(), {
    // Notice a dead control plane quickly, and stay quiet while it is up.
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  }) as unknown as AggregatedDiscoveryClient;
}

export interface CertificateRequest {
  csr: string;
  validityDuration: number;
}

export interface CertificateResponse {
  certChain: string[];
}

export interface CertificateClient extends grpc.Client {
  CreateCertificate(request: CertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: CertificateResponse) => void): grpc.ClientUnaryCall;
}

let loadedCa: grpc.GrpcObject | undefined;

function caServiceConstructor(): grpc.ServiceClientConstructor {
  loadedCa ??= grpc.loadPackageDefinition(protoLoader.loadSync(protoPath('ca.proto'), { keepCase: false, longs: Number, defaults: true }));
  const pkg = loadedCa as unknown as { istio: { v1: { auth: { IstioCertificateService: grpc.ServiceClientConstructor } } } };
  return pkg.istio.v1.auth.IstioCertificateService;
}

export function certificateServiceDefinition(): grpc.ServiceDefinition {
  return caServiceConstructor().service;
}

export function createCertificateClient(target: string): CertificateClient {
  const Client = caServiceConstructor();
  return new Client(target, grpc.credentials.createInsecure()) as unknown as CertificateClient;
}

export { grpc };
