// A discovery client as an outsider writes one: grpc-js and proto-loader on the published .proto
// files, nothing of Skiff's own client code, so a test of what the control plane lets in cannot
// pass because both sides share a mistake.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createWorkloadCsr, generateWorkloadKey, spiffeId } from '@skiff/pki';
import { repoRoot } from './mesh.js';

const load = (file: string) => grpc.loadPackageDefinition(protoLoader.loadSync(join(repoRoot, 'libs/protocol/proto', file), { keepCase: false, longs: Number, defaults: true, oneofs: true }));
type ServiceClient = new (address: string, credentials: grpc.ChannelCredentials, options?: object) => grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** The control plane's certificate carries this DNS name, whatever address is dialled. */
const SERVER_NAME = { 'grpc.ssl_target_name_override': 'skiff-control-plane' };

export interface OutsiderNode {
  id: string;
  kind: string;
  service: string;
  namespace: string;
  serviceAccount: string;
  labels?: Record<string, string>;
  address: string;
  inboundPort: number;
  servicePort: number;
  adminPort?: number;
}

export interface OutsiderStreamResult {
  /** Snapshots the control plane sent (as version strings). */
  versions: string[];
  /** Why the stream ended, when it did within the wait: "code: details". */
  ended?: string;
}

export interface OutsiderStream {
  result: OutsiderStreamResult;
  /** Waits until the stream has ended or a snapshot arrived (or `ms` passed). */
  settle(ms?: number): Promise<OutsiderStreamResult>;
  close(): void;
}

/** A key pair and a certificate for `namespace/serviceAccount`, obtained with that workload's bootstrap token, as a proxy does. */
export async function outsiderCertificate(address: string, rootPem: string, token: string, identity: { namespace: string; serviceAccount: string }): Promise<{ keyPem: string; chainPem: string }> {
  const pkg = load('ca.proto') as unknown as { istio: { v1: { auth: { IstioCertificateService: ServiceClient } } } };
  const client = new pkg.istio.v1.auth.IstioCertificateService(address, grpc.credentials.createSsl(Buffer.from(rootPem)), SERVER_NAME);
  const keys = await generateWorkloadKey();
  const csr = createWorkloadCsr(spiffeId('cluster.local', identity.namespace, identity.serviceAccount), keys.privateKeyPem);
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  try {
    const chain = await new Promise<string[]>((resolve, reject) =>
      (client['CreateCertificate'] as (req: object, md: grpc.Metadata, opts: object, cb: (e: grpc.ServiceError | null, r?: { certChain: string[] }) => void) => void)({ csr, validityDuration: 600 }, metadata, { deadline: Date.now() + 10_000 }, (error, response) =>
        error ? reject(error) : resolve(response?.certChain ?? []),
      ),
    );
    return { keyPem: keys.privateKeyPem, chainPem: chain.slice(0, -1).join('') };
  } finally {
    client.close();
  }
}

/**
 * Opens a discovery stream and announces `node`. `credentials`: "plaintext", TLS trusting the
 * root with no client certificate, or mutual TLS with a certificate.
 */
export function outsiderStream(address: string, credentials: { plaintext: true } | { rootPem: string; keyPem?: string; chainPem?: string }, node: OutsiderNode): OutsiderStream {
  const pkg = load('discovery.proto') as unknown as { skiff: { discovery: { v1: { AggregatedDiscovery: ServiceClient } } } };
  const creds =
    'plaintext' in credentials
      ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(Buffer.from(credentials.rootPem), credentials.keyPem ? Buffer.from(credentials.keyPem) : null, credentials.chainPem ? Buffer.from(credentials.chainPem) : null);
  const client = new pkg.skiff.discovery.v1.AggregatedDiscovery(address, creds, { ...SERVER_NAME, 'grpc.initial_reconnect_backoff_ms': 100 });
  const stream = (client['Stream'] as () => grpc.ClientDuplexStream<object, { versionInfo: string; nonce: string }>)();
  const result: OutsiderStreamResult = { versions: [] };
  let wake: (() => void) | undefined;
  stream.on('data', (response: { versionInfo: string; nonce: string }) => {
    result.versions.push(response.versionInfo);
    stream.write({ versionInfo: response.versionInfo, responseNonce: response.nonce });
    wake?.();
  });
  stream.on('error', (error: grpc.ServiceError) => {
    result.ended = `${grpc.status[error.code] ?? error.code}: ${error.details}`;
    wake?.();
  });
  stream.write({ node: { labels: {}, adminPort: 0, ...node }, versionInfo: '', responseNonce: '' });
  return {
    result,
    settle: (ms = 5_000) =>
      new Promise((resolve) => {
        if (result.ended || result.versions.length > 0) return resolve(result);
        const timer = setTimeout(() => resolve(result), ms);
        wake = () => {
          clearTimeout(timer);
          resolve(result);
        };
      }),
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}
