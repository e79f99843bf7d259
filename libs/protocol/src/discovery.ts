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
  servicePortName?: string;
  appProtocol?: string;
}

export interface WorkloadHealthMessage {
  healthy: boolean;
  message: string;
}

export interface DiscoveryRequest {
  node?: NodeMessage | null;
  versionInfo: string;
  responseNonce: string;
  errorDetail?: { message: string } | null;
  health?: WorkloadHealthMessage | null;
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

/**
 * How a proxy reaches the control plane: mutual TLS (the default and the only way in a real
 * mesh), or plaintext for debugging against a control plane started with --plaintext-xds-port.
 */
export type DiscoveryTransport = { plaintext: true } | { plaintext?: false; credentials: grpc.ChannelCredentials; serverName: string };

// The channel's own reconnect backoff (grpc-js: 1 s growing 1.6x to 120 s) would stretch a
// reconnect after a control-plane restart to 11 s and more; the callers back off themselves, so
// the channel's reconnects stay within the documented 2 s cap.
const RECONNECT_OPTIONS = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 2_000 };

function channelCredentials(transport: DiscoveryTransport): { credentials: grpc.ChannelCredentials; options: Record<string, string | number> } {
  if (transport.plaintext) return { credentials: grpc.credentials.createInsecure(), options: {} };
  // The control plane's certificate is named by DNS (skiff-control-plane), whatever address is
  // dialled (127.0.0.1 locally, a Service name in Kubernetes); workload certificates carry only
  // SPIFFE IDs, so no workload can pose as the control plane.
  return { credentials: transport.credentials, options: { 'grpc.ssl_target_name_override': transport.serverName } };
}

export function createDiscoveryClient(target: string, transport: DiscoveryTransport): AggregatedDiscoveryClient {
  const Client = serviceConstructor();
  const { credentials, options } = channelCredentials(transport);
  return new Client(target, credentials, {
    // Istio's keepalive for discovery (istio/istio pkg/keepalive/options.go: ping after 30 s of
    // quiet, give up 10 s later). A stopped control plane closes its sockets and is noticed at
    // once; the ping is for a vanished host. With 10 s / 5 s, a host starved of CPU for 5 s
    // (a compose mesh beside two test meshes starting) dropped every proxy's stream at once.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    ...RECONNECT_OPTIONS,
    ...options,
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

/** The CA answers on the discovery port; a proxy with no certificate yet talks TLS to it with server authentication only. */
export function createCertificateClient(target: string, transport: DiscoveryTransport): CertificateClient {
  const Client = caServiceConstructor();
  const { credentials, options } = channelCredentials(transport);
  return new Client(target, credentials, { ...RECONNECT_OPTIONS, ...options }) as unknown as CertificateClient;
}

export { grpc };
