// Gateway (networking.istio.io), named as in Istio's reference.
import { z } from 'zod';
import { always, hostProblem, isRecord, istioObject, labelMap, portNumber, resourceSchema } from './common.js';

/** Istio's server protocols; Istio reads them case-insensitively. */
export const GATEWAY_PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'MYSQL', 'REDIS', 'TCP', 'TLS', 'UDP'] as const;

export const GatewayPortSchema = istioObject({
  number: portNumber,
  protocol: z.string().check(
    z.superRefine((p: string, ctx) => {
      if (!(GATEWAY_PROTOCOLS as readonly string[]).includes(p.toUpperCase())) {
        ctx.addIssue({ code: 'custom', message: `unknown protocol ${JSON.stringify(p)}; use one of ${GATEWAY_PROTOCOLS.join(', ')}` });
      }
    }),
  ),
  name: z.string().min(1).optional(),
  targetPort: portNumber.optional(),
});

/** "[namespace/]host": namespace is a name, "." (the gateway's) or "*" (any). */
const serverHost = z.string().check(
  z.superRefine((s: string, ctx) => {
    const slash = s.indexOf('/');
    const ns = slash >= 0 ? s.slice(0, slash) : undefined;
    const host = slash >= 0 ? s.slice(slash + 1) : s;
    if (ns !== undefined && ns !== '.' && ns !== '*' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(ns)} in ${JSON.stringify(s)} is not a namespace: write "namespace/host", "./host" or "*/host"` });
      return;
    }
    const problem = hostProblem(host);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

export const ServerTLSSettingsSchema = istioObject(
  {
    mode: z.enum(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL']).optional(),
    credentialName: z.string().min(1).optional(),
    serverCertificate: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    caCertificates: z.string().min(1).optional(),
    httpsRedirect: z.boolean().optional(),
  },
  ['credentialNames', 'tlsCertificates', 'caCrl', 'subjectAltNames', 'verifyCertificateSpki', 'verifyCertificateHash', 'minProtocolVersion', 'maxProtocolVersion', 'cipherSuites'],
).superRefine((tls, ctx) => {
  // Istio's rules: a terminating server needs its certificate, mutual TLS also a client CA.
  if ((tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && tls.credentialName === undefined) {
    if (tls.serverCertificate === undefined || tls.privateKey === undefined) {
      ctx.addIssue({ code: 'custom', message: `tls mode ${tls.mode} needs credentialName, or both serverCertificate and privateKey` });
    }
    if (tls.mode === 'MUTUAL' && tls.caCertificates === undefined) {
      ctx.addIssue({ code: 'custom', message: 'tls mode MUTUAL needs credentialName or caCertificates to verify clients' });
    }
  }
}, always);

export const GatewayServerSchema = istioObject(
  {
    port: GatewayPortSchema,
    hosts: z.array(serverHost).min(1),
    name: z.string().min(1).optional(),
    tls: ServerTLSSettingsSchema.optional(),
  },
  ['bind', 'defaultEndpoint'],
).superRefine((server, ctx) => {
  const protocol = isRecord(server.port) && typeof server.port.protocol === 'string' ? server.port.protocol.toUpperCase() : undefined;
  if ((protocol === 'HTTPS' || protocol === 'TLS') && server.tls === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: `a server with protocol ${protocol} needs tls settings (for example mode: SIMPLE with credentialName)` });
  }
}, always);

export const GatewaySpecSchema = istioObject({
  selector: labelMap().optional(),
  servers: z.array(GatewayServerSchema).min(1),
}).superRefine((spec, ctx) => {
  if (!Array.isArray(spec.servers)) return;
  const seen = new Map<string, number>();
  spec.servers.forEach((server, i) => {
    const name: unknown = isRecord(server) && isRecord(server.port) ? server.port.name : undefined;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else ctx.addIssue({ code: 'custom', path: ['servers', i, 'port', 'name'], message: `duplicate port name ${JSON.stringify(name)} (already used by servers[${first}]); port names must be unique` });
  });
}, always);

export const GatewaySchema = resourceSchema('Gateway', GatewaySpecSchema);
