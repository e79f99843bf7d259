// How every proxy process (sidecar and gateway) reaches the control plane, from its flags:
// mutual TLS, verifying the control plane against the mesh root, or plaintext for debugging.
import { readFileSync } from 'node:fs';
import type { Logger } from '@skiff/telemetry';
import type { DiscoveryOptions } from '../proxy.js';

/** Where Istio's sidecars find the mesh root (the istio-ca-root-cert ConfigMap, mounted). */
export const DEFAULT_ROOT_CERT = '/var/run/secrets/istio/root-cert.pem';

export const DISCOVERY_HELP = `  --root-cert <file>        the mesh's root certificate, to verify the control plane with
                            (default: ${DEFAULT_ROOT_CERT}, where Kubernetes mounts it)
  --control-plane-san <name>  the DNS name the control plane's certificate must carry
                            (default: skiff-control-plane)
  --plaintext-discovery     talk to the control plane without TLS (its --plaintext-xds-port),
                            for debugging only: nothing is verified either way`;

export type DiscoveryFlags = { plaintext: true } | { plaintext?: false; rootCertFile: string; serverName: string };

export function discoveryFromFlags(values: { rootCert?: string; controlPlaneSan?: string; plaintext?: boolean }): DiscoveryFlags {
  const plaintext = values.plaintext ?? ['1', 'true'].includes(process.env.SKIFF_PLAINTEXT_DISCOVERY ?? '');
  if (plaintext) return { plaintext: true };
  return {
    rootCertFile: values.rootCert ?? process.env.SKIFF_ROOT_CERT ?? DEFAULT_ROOT_CERT,
    serverName: values.controlPlaneSan ?? process.env.SKIFF_CONTROL_PLANE_SAN ?? 'skiff-control-plane',
  };
}

/**
 * Reads the root (waiting for it: in Kubernetes the control plane publishes it as a ConfigMap,
 * which may appear after the pod starts), and returns what startProxy takes.
 */
export async function loadDiscoveryOptions(flags: DiscoveryFlags, logger: Logger, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<DiscoveryOptions> {
  if (flags.plaintext) {
    logger.warn('discovery in PLAINTEXT (--plaintext-discovery): the control plane is not verified; for debugging only');
    return { plaintext: true };
  }
  for (let waited = 0; ; waited += options.pollMs ?? 1000) {
    try {
      const pem = readFileSync(flags.rootCertFile, 'utf8');
      if (!pem.includes('BEGIN CERTIFICATE')) throw new Error(`${flags.rootCertFile} holds no PEM certificate`);
      return { rootCertPem: pem, serverName: flags.serverName };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new Error(`--root-cert ${flags.rootCertFile}: ${code ?? (error as Error).message}`);
      if (waited % 10_000 === 0) logger.warn({ rootCert: flags.rootCertFile }, `waiting for the mesh root at ${flags.rootCertFile} (--root-cert; skiff up passes .skiff/ca/root-cert.pem, compose mounts it, Kubernetes mounts the istio-ca-root-cert ConfigMap the control plane publishes)`);
      if (options.signal?.aborted) throw new Error(`no mesh root at ${flags.rootCertFile}`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
    }
  }
}
